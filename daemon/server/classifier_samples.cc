#include "server/classifier_samples.h"

#include "plugin/classifier.h"
#include "plugin/plugin_library.h"

namespace classifyd {

std::vector<ClassifierSample> SampleClassifiers(
    const std::vector<ClassifierStatus>& statuses) {
  std::vector<ClassifierSample> samples;
  samples.reserve(statuses.size());
  for (const ClassifierStatus& status : statuses) {
    ClassifierSample& sample = samples.emplace_back();
    sample.name = status.name;
    sample.state = ClassifierStateName(status.state);
    const Classifier* serving = status.serving.get();
    if (serving == nullptr) continue;
    sample.serving = true;
    sample.generation = serving->generation();
    sample.stuck_calls = serving->call_health().stuck_calls.load();
    sample.library_path = serving->library().path();
    sample.plugin_name = serving->library().name();
    sample.plugin_version = serving->library().version();
    sample.model_path = serving->manifest().model_path;
  }
  return samples;
}

ReloadCounts CountsOf(const ClassifierRegistry::ReconcileResult& result) {
  return ReloadCounts{.loaded = result.loaded,
                      .failed = result.failed,
                      .removed = result.removed,
                      .not_found = result.not_found};
}

}  // namespace classifyd
