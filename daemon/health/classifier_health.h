// Whether one classifier can answer, the rule both health views share: the
// grpc.health.v1 service (one service name per classifier) and the HTTP
// API's /v1/classifiers/{name}/ready.
//
// Thread-safe (pure functions).
#ifndef CLASSIFYD_DAEMON_HEALTH_CLASSIFIER_HEALTH_H_
#define CLASSIFYD_DAEMON_HEALTH_CLASSIFIER_HEALTH_H_

#include <string>
#include <string_view>

#include "registry/classifier_registry.h"

namespace classifyd {

// The public service's name in grpc.health.v1.
inline constexpr char kClassifierServiceName[] = "classifyd.v1.Classifier";

// "classifyd.v1.Classifier/<name>": the health service name of classifier
// `name`.
std::string ClassifierHealthName(std::string_view name);

// True when `status` is READY, has a serving classifier, and that
// classifier is not skipped for a call stuck past its time limit. FAILED
// (even with an older generation still serving), LOADING and UNLOADING are
// not serving: a load balancer should route around them.
bool ClassifierAnswering(const ClassifierStatus& status);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_HEALTH_CLASSIFIER_HEALTH_H_
