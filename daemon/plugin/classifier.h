// One classifier instance: a plugin library plus the instance its create()
// built from a manifest. The instance lives in the daemon, or, when the
// manifest says isolation = "process", in a child process
// (isolation/isolated_process.h); callers cannot tell the difference but
// for speed, and for what a crash of the plugin costs.
//
// Thread-safe: ClassifyBatch may run concurrently. Destruction calls the
// plugin's destroy(), so it must happen after the last ClassifyBatch call
// returns (the registry's reference counting guarantees that) and off the
// request threads (the registry hands it to a Retirer).
#ifndef CLASSIFYD_DAEMON_PLUGIN_CLASSIFIER_H_
#define CLASSIFYD_DAEMON_PLUGIN_CLASSIFIER_H_

#include <absl/status/statusor.h>
#include <classifyd/plugin.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugin/calibration.h"
#include "plugin/call_health.h"
#include "plugin/manifest.h"
#include "plugin/plugin_library.h"
#include "plugin/result_check.h"

namespace classifyd {

namespace isolation {
class IsolatedProcess;
struct IsolationSettings;
}  // namespace isolation

// A label as one classifier produced it.
struct PluginLabel {
  // The classifier's declared copy of the name (Classifier::labels()), so
  // that no label copies it: valid while the classifier lives.
  std::string_view name;
  float score = 0;
  std::vector<std::string> evidence;
};

// What one classifier said about one document.
struct DocumentOutcome {
  std::vector<PluginLabel> labels;
  classifyd_status code = CLASSIFYD_OK;
  std::string message;  // Set when code is not OK.
};

class Classifier {
 public:
  // Builds an instance of `library` configured by `manifest`. Control
  // thread only. Returns the classifier, or FAILED_PRECONDITION saying why
  // the plugin refused.
  static absl::StatusOr<std::unique_ptr<Classifier>> Create(
      const Manifest& manifest, std::shared_ptr<PluginLibrary> library,
      uint64_t generation);

  // Like Create, but the plugin runs in a child process started from
  // `settings`, loading the library open at `library_fd` (taken over).
  // Control thread only.
  static absl::StatusOr<std::unique_ptr<Classifier>> CreateIsolated(
      const Manifest& manifest, int library_fd,
      const isolation::IsolationSettings& settings, uint64_t generation);

  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  // Classifies `texts` (non-empty, valid UTF-8). `outcomes` is resized to
  // texts.size(); outcome i answers texts[i]. A failure of the whole call
  // is copied into every outcome. Every result is checked against
  // plugin/result_check.h first: a document for which the plugin returned
  // something that breaks a rule gets INTERNAL saying which, and its other
  // results from this call are dropped; the other documents are unaffected.
  // For an isolated classifier, a death or hang of its process fails this
  // call's documents (isolation/isolated_process.h says with what).
  void ClassifyBatch(std::span<const std::string_view> texts, uint32_t top_k,
                     float min_score,
                     std::vector<DocumentOutcome>* outcomes) const;

  const std::string& name() const { return manifest_.name; }
  const Manifest& manifest() const { return manifest_; }
  uint64_t generation() const { return generation_; }
  // The manifest's score calibration, or null: what the host applies to
  // this classifier's raw scores. Part of the loaded version, like the
  // model.
  const Calibration* calibration() const { return calibration_.get(); }
  // Control thread only, before the classifier serves (the registry loads
  // the calibration beside the plugin instance).
  void set_calibration(std::shared_ptr<const Calibration> calibration) {
    calibration_ = std::move(calibration);
  }
  // The labels the instance declared (list_labels), each once.
  const std::vector<std::string>& labels() const {
    return declared_labels_.names();
  }
  const DeclaredLabels& declared_labels() const { return declared_labels_; }
  const PluginLibrary& library() const { return *library_; }
  // The plugin's CLASSIFYD_CAP_* bits.
  uint64_t capabilities() const { return capabilities_; }
  // The child process of an isolated classifier, else null.
  const isolation::IsolatedProcess* isolated() const { return isolated_.get(); }
  // Timeouts of this instance's calls; mutable state of a const classifier.
  CallHealth& call_health() const { return call_health_; }

  // Logs `message`, about a result of this classifier that broke a rule of
  // result_check.h: the first at warning level, later ones at debug (a
  // broken plugin may break every document). For ClassifyBatch's sinks.
  void ReportBrokenResult(const std::string& message) const;

 private:
  Classifier(const Manifest& manifest, std::shared_ptr<PluginLibrary> library,
             uint64_t generation);
  void ClassifyIsolated(std::span<const std::string_view> texts, uint32_t top_k,
                        float min_score,
                        std::vector<DocumentOutcome>* outcomes) const;

  Manifest manifest_;
  // Declared before instance_ users: the library must outlive destroy().
  std::shared_ptr<PluginLibrary> library_;
  uint64_t generation_;
  uint64_t capabilities_;
  classifyd_host_api host_api_{};
  classifyd_instance* instance_ = nullptr;
  std::unique_ptr<isolation::IsolatedProcess> isolated_;  // Or instance_.
  DeclaredLabels declared_labels_;
  mutable CallHealth call_health_;
  std::shared_ptr<const Calibration> calibration_;
  mutable std::atomic<bool> broken_result_reported_{false};
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_PLUGIN_CLASSIFIER_H_
