// The series that describe the classifiers as they are at scrape time:
// state, generation, stuck plugin calls, and an info series naming each
// serving version's plugin library, version and model. The metrics know
// nothing of the registry: the daemon describes each entry of
// ClassifierRegistry::List() as a ClassifierSample. Thread-safe (reads
// only).
#ifndef CLASSIFYD_DAEMON_METRICS_CLASSIFIER_SERIES_H_
#define CLASSIFYD_DAEMON_METRICS_CLASSIFIER_SERIES_H_

#include <prometheus/metric_family.h>

#include <cstdint>
#include <string>
#include <vector>

namespace classifyd {

// The states a classifier entry can be in, as the state series names them.
inline constexpr const char* kClassifierStateNames[] = {"LOADING", "READY",
                                                        "FAILED", "UNLOADING"};

// One classifier entry at scrape time. A name may have two entries: a
// retiring old version beside its replacement.
struct ClassifierSample {
  std::string name;
  std::string state;     // One of kClassifierStateNames.
  bool serving = false;  // A version serves; the fields below describe it.
  uint64_t generation = 0;
  int stuck_calls = 0;
  std::string library_path;
  std::string plugin_name;
  std::string plugin_version;
  std::string model_path;
};

void AppendClassifierStateFamilies(const std::vector<ClassifierSample>& samples,
                                   std::vector<prometheus::MetricFamily>* out);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_METRICS_CLASSIFIER_SERIES_H_
