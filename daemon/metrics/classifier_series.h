// The series that describe the classifiers as they are at scrape time,
// from ClassifierRegistry::List(): state, generation, stuck plugin calls,
// and an info series naming each serving version's plugin library,
// version and model. Thread-safe (reads only).
#ifndef CLASSIFYD_DAEMON_METRICS_CLASSIFIER_SERIES_H_
#define CLASSIFYD_DAEMON_METRICS_CLASSIFIER_SERIES_H_

#include <prometheus/metric_family.h>

#include <vector>

#include "registry/classifier_registry.h"

namespace classifyd {

void AppendClassifierStateFamilies(
    const std::vector<ClassifierStatus>& statuses,
    std::vector<prometheus::MetricFamily>* out);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_METRICS_CLASSIFIER_SERIES_H_
