#include "registry/classifier_loader.h"

#include <absl/strings/str_cat.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>
#include <variant>
#include <vector>

#include "isolation/child_process.h"
#include "isolation/isolated_process.h"
#include "plugin/result_check.h"
#include "plugin/trusted_path.h"
#include "registry/file_stamp.h"

namespace classifyd {
namespace fs = std::filesystem;

ClassifierLoader::ClassifierLoader(Options options, Retirer* control)
    : options_(std::move(options)), control_(control) {}

absl::Status ClassifierLoader::CheckDataFile(const Manifest& manifest,
                                             const std::string& path,
                                             const std::string& what,
                                             int64_t max_bytes) const {
  if (StampFile(path).size < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, " '", path, "' named by '", manifest.manifest_path,
                     "' does not exist"));
  }
  return CheckTrustedDataFile(path, what, max_bytes, options_.strict_modes);
}

absl::StatusOr<std::shared_ptr<const Calibration>>
ClassifierLoader::LoadCalibration(const Manifest& manifest) const {
  if (manifest.calibration_path.empty()) {
    return std::shared_ptr<const Calibration>();
  }
  absl::Status trusted =
      CheckDataFile(manifest, manifest.calibration_path, "calibration file",
                    manifest.max_model_bytes);
  if (!trusted.ok()) return trusted;
  absl::StatusOr<Calibration> loaded =
      Calibration::Load(manifest.calibration_path);
  if (!loaded.ok()) return loaded.status();
  return std::make_shared<const Calibration>(*std::move(loaded));
}

absl::StatusOr<std::string> ClassifierLoader::WarmUpText(
    const Manifest& manifest) const {
  if (!manifest.warmup_text.empty()) return manifest.warmup_text;
  if (manifest.warmup_path.empty()) return std::string(kDefaultWarmUpText);
  const std::string& path = manifest.warmup_path;
  absl::Status trusted =
      CheckDataFile(manifest, path, "warm-up file", kMaxWarmUpBytes);
  if (!trusted.ok()) return trusted;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  if (in.is_open()) contents << in.rdbuf();
  const std::string text = contents.str();
  if (!in.is_open() || in.bad()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read warm-up file '", path, "'"));
  }
  std::string problem = Utf8Problem(text);
  if (text.empty()) problem = "it is empty";
  if (!problem.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "warm-up file '", path, "' is not a document: ", problem));
  }
  return text;
}

absl::StatusOr<std::unique_ptr<Classifier>> ClassifierLoader::Create(
    const Manifest& manifest, uint64_t generation) const {
  if (options_.factory) return options_.factory(manifest, generation);
  if (manifest.isolation == Isolation::kProcess) {
    return CreateIsolated(manifest, generation);
  }
  absl::StatusOr<std::shared_ptr<PluginLibrary>> library =
      PluginLibrary::Open(manifest.library_path, options_.private_lib_dir);
  if (!library.ok()) return library.status();
  return Classifier::Create(manifest, *std::move(library), generation);
}

absl::StatusOr<std::unique_ptr<Classifier>> ClassifierLoader::CreateIsolated(
    const Manifest& manifest, uint64_t generation) const {
  absl::StatusOr<int> library =
      OpenLibraryForChild(manifest.library_path, options_.private_lib_dir);
  if (!library.ok()) return library.status();
  isolation::IsolationSettings settings;
  settings.host_path = options_.plugin_host_path.empty()
                           ? isolation::DefaultHostPath()
                           : options_.plugin_host_path;
  settings.call_timeout = std::chrono::milliseconds(
      manifest.timeout_ms >= 0 ? manifest.timeout_ms
                               : options_.default_timeout_ms);
  return Classifier::CreateIsolated(manifest, *library, settings, generation);
}

std::shared_ptr<const Classifier> ClassifierLoader::Adopt(
    std::unique_ptr<Classifier> c) const {
  // The deleter runs wherever the last reference drops (often a request
  // thread); it only queues the destruction to the control thread.
  Retirer* control = control_;
  return std::shared_ptr<const Classifier>(
      c.release(), [control](const Classifier* dying) {
        control->Retire([dying] {
          spdlog::info("classifier {}: generation {} unloaded", dying->name(),
                       dying->generation());
          delete dying;
        });
      });
}

absl::Status ClassifierLoader::WarmUp(
    const std::shared_ptr<const Classifier>& candidate,
    const Manifest& manifest, const std::string& text) const {
  std::vector<DocumentOutcome> outcome;
  const int timeout_ms = manifest.timeout_ms >= 0 ? manifest.timeout_ms
                                                  : options_.default_timeout_ms;
  if (options_.invoker != nullptr) {
    PluginBatch batch;
    batch.Add(text);
    batch.top_k = 5;
    // A call that times out holds `candidate` until it returns; the
    // control thread destroys it then.
    outcome = options_.invoker
                  ->Call(candidate, std::chrono::milliseconds(timeout_ms),
                         std::move(batch))
                  .outcomes;
  } else {
    const std::string_view texts[] = {text};
    candidate->ClassifyBatch(texts, 5, 0.0f, &outcome);
  }
  if (outcome.size() != 1 || outcome[0].code != CLASSIFYD_OK) {
    return absl::FailedPreconditionError(absl::StrCat(
        "warm-up classification failed: ",
        outcome.empty() ? std::string("no result") : outcome[0].message));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Classifier>> ClassifierLoader::Load(
    const Manifest& manifest) {
  if (!manifest.model_path.empty()) {
    absl::Status model = CheckDataFile(manifest, manifest.model_path,
                                       "model file", manifest.max_model_bytes);
    if (!model.ok()) return model;
  }
  auto calibration = LoadCalibration(manifest);
  if (!calibration.ok()) return calibration.status();
  absl::StatusOr<std::string> warm_up_text = WarmUpText(manifest);
  if (!warm_up_text.ok()) return warm_up_text.status();
  if (options_.strict_modes && !options_.factory) {
    const std::string dir = fs::path(manifest.library_path).parent_path();
    absl::Status trusted =
        CheckTrustedPath(manifest.library_path, "plugin library");
    if (trusted.ok()) {
      trusted = CheckTrustedPath(dir, "plugin library directory");
    }
    if (!trusted.ok()) return trusted;
  }
  absl::StatusOr<std::unique_ptr<Classifier>> created =
      absl::UnknownError("not run");
  control_->RunNow([&] { created = Create(manifest, next_generation_); });
  if (!created.ok()) return created.status();
  ++next_generation_;
  (*created)->set_calibration(*std::move(calibration));
  std::shared_ptr<const Classifier> candidate = Adopt(*std::move(created));
  absl::Status warm = WarmUp(candidate, manifest, *warm_up_text);
  if (!warm.ok()) return warm;
  return candidate;
}

}  // namespace classifyd
