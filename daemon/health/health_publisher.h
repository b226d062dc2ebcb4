// Publishes the daemon's health to gRPC's health service (grpc.health.v1):
// the whole server ("" and classifyd.v1.Classifier) is SERVING while some
// classifier can answer, and each classifier has a service of its own,
// "classifyd.v1.Classifier/<name>", SERVING while it can answer (see
// health/classifier_health.h). A classifier that is removed stays known as
// NOT_SERVING, so a Watch on it sees the change; a name never loaded is
// NOT_FOUND (SERVICE_UNKNOWN for Watch), as gRPC's health service answers.
//
// Thread-safe: Update() is called by the reload coordinator's thread after
// every change to the served set, and by whichever thread sees a
// classifier's stuck-call count change; a mutex makes the last caller's
// view the one published.
#ifndef CLASSIFYD_DAEMON_HEALTH_HEALTH_PUBLISHER_H_
#define CLASSIFYD_DAEMON_HEALTH_HEALTH_PUBLISHER_H_

#include <grpcpp/health_check_service_interface.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "registry/classifier_registry.h"

namespace classifyd {

class HealthPublisher {
 public:
  // `health` and `registry` must outlive the publisher.
  HealthPublisher(grpc::HealthCheckServiceInterface* health,
                  const ClassifierRegistry* registry)
      : health_(health), registry_(registry) {}

  // Reads the registry and publishes what changed.
  void Update();

 private:
  void PublishServer(bool serving);
  void PublishClassifier(const std::string& name, bool serving);

  grpc::HealthCheckServiceInterface* const health_;
  const ClassifierRegistry* const registry_;
  std::mutex mu_;
  std::optional<bool> serving_;  // What was last published for the server.
  // What was last published per classifier, by name.
  std::map<std::string, bool> classifiers_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_HEALTH_HEALTH_PUBLISHER_H_
