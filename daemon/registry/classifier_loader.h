// The registry's loader (in TensorFlow Serving's terms): builds one
// classifier from a manifest, ready to serve, or says why it cannot.
//
// In order, so that the cheapest refusal comes first and a plugin never
// opens a FIFO or a device (it would block the reload, or read without
// end): the model, calibration and warm-up files (present, trusted,
// bounded; plugin/trusted_path.h), the library's trust, then the plugin:
// its library is opened and its instance created on the control thread
// (Retirer::RunNow), where instances are also destroyed, so that create()
// and destroy() never overlap (plugin.h). Last, one warm-up classification
// under the classifier's time limit, so that a plugin that loads but
// cannot classify never goes live and the first request does not pay for
// lazy initialisation; a plugin that hangs there is refused instead of
// holding up every later reload.
//
// The warm-up document is the manifest's `warmup` text or `warmup_file`,
// else kDefaultWarmUpText.
//
// Not thread-safe: the registry calls Load() under its change lock.
#ifndef CLASSIFYD_DAEMON_REGISTRY_CLASSIFIER_LOADER_H_
#define CLASSIFYD_DAEMON_REGISTRY_CLASSIFIER_LOADER_H_

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "invoker/invoker.h"
#include "plugin/calibration.h"
#include "plugin/classifier.h"
#include "plugin/manifest.h"
#include "registry/retirer.h"

namespace classifyd {

// The warm-up document of manifests that name none: neutral, so that it
// suits any language and taxonomy; plugins need only answer it.
inline constexpr std::string_view kDefaultWarmUpText =
    "classifyd warm-up document";

// The largest `warmup_file` accepted.
inline constexpr int64_t kMaxWarmUpBytes = 64 * 1024;

class ClassifierLoader {
 public:
  // Builds the plugin instance of `manifest` as generation `generation`.
  // Runs on the control thread.
  using Factory = std::function<absl::StatusOr<std::unique_ptr<Classifier>>(
      const Manifest& manifest, uint64_t generation)>;

  struct Options {
    // Where private copies of plugin libraries are made before loading
    // (see PluginLibrary::Open). Empty: load libraries in place.
    std::string private_lib_dir;
    // Refuse libraries and data files other users could change.
    bool strict_modes = true;
    // Time limit of warm-up calls for manifests without `timeout_ms`;
    // 0: none.
    int default_timeout_ms = 0;
    // The child process of classifiers with isolation = "process". Empty:
    // classifyd-plugin-host beside the running executable.
    std::string plugin_host_path;
    // Runs the warm-up calls (see invoker/invoker.h); must outlive the
    // loader. Null: they run on the calling thread (tests only: nothing
    // then bounds a warm-up that hangs).
    Invoker* invoker = nullptr;
    // Replaces PluginLibrary::Open + Classifier::Create, for tests.
    Factory factory;
  };

  // `control` runs every create() and destroy(); it must outlive the
  // loader and every classifier it builds.
  ClassifierLoader(Options options, Retirer* control);

  // The classifier `manifest` describes, warmed up. Its generation is the
  // next number not yet given to an instance (a failed create() uses
  // none). The last reference to it queues its destruction to `control`.
  // FAILED_PRECONDITION for files that are missing, untrusted or too
  // large, else the plugin's or the warm-up's failure.
  absl::StatusOr<std::shared_ptr<const Classifier>> Load(
      const Manifest& manifest);

 private:
  // `path` (`what`: "model file", ...) exists and passes
  // plugin/trusted_path.h's checks with at most `max_bytes`.
  absl::Status CheckDataFile(const Manifest& manifest, const std::string& path,
                             const std::string& what, int64_t max_bytes) const;
  absl::StatusOr<std::shared_ptr<const Calibration>> LoadCalibration(
      const Manifest& manifest) const;
  absl::StatusOr<std::string> WarmUpText(const Manifest& manifest) const;
  // Opens the library and creates the instance; control thread only.
  absl::StatusOr<std::unique_ptr<Classifier>> Create(
      const Manifest& manifest, uint64_t generation) const;
  absl::StatusOr<std::unique_ptr<Classifier>> CreateIsolated(
      const Manifest& manifest, uint64_t generation) const;
  std::shared_ptr<const Classifier> Adopt(std::unique_ptr<Classifier> c) const;
  absl::Status WarmUp(const std::shared_ptr<const Classifier>& candidate,
                      const Manifest& manifest, const std::string& text) const;

  const Options options_;
  Retirer* const control_;
  uint64_t next_generation_ = 1;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_REGISTRY_CLASSIFIER_LOADER_H_
