// What the daemon tells the metrics about the registry: the metrics layer
// is a leaf and knows no registry type, so its entries and reload results
// are described here in the metrics' own terms.
//
// Stateless; thread-safe.
#ifndef CLASSIFYD_DAEMON_SERVER_CLASSIFIER_SAMPLES_H_
#define CLASSIFYD_DAEMON_SERVER_CLASSIFIER_SAMPLES_H_

#include <vector>

#include "metrics/metrics.h"
#include "registry/classifier_registry.h"

namespace classifyd {

// One sample per entry of ClassifierRegistry::List(), in its order.
std::vector<ClassifierSample> SampleClassifiers(
    const std::vector<ClassifierStatus>& statuses);

ReloadCounts CountsOf(const ClassifierRegistry::ReconcileResult& result);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_CLASSIFIER_SAMPLES_H_
