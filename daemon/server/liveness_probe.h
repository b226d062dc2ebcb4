// What the watchdog checks before each ping: that the reload coordinator is
// not stuck in one job, and that a real Classify call through the server's
// own call machinery (an in-process channel) completes in time. A plugin
// hanging in classify without a time limit, or gRPC's threads wedged,
// fails the second; with a limit the server answers (DEADLINE_EXCEEDED,
// then the classifier is skipped), which counts as progress.
//
// Thread-compatible: called from the watchdog thread only.
#ifndef CLASSIFYD_DAEMON_SERVER_LIVENESS_PROBE_H_
#define CLASSIFYD_DAEMON_SERVER_LIVENESS_PROBE_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "classifyd/v1/classifier.grpc.pb.h"
#include "registry/reload_coordinator.h"

namespace classifyd {

class LivenessProbe {
 public:
  // `server` and `coordinator` must outlive the probe. A coordinator job
  // running longer than `reload_limit` counts as stuck.
  LivenessProbe(grpc::Server* server, const ReloadCoordinator* coordinator,
                std::chrono::milliseconds reload_limit);

  // OK when alive, otherwise UNAVAILABLE saying what is wrong. Blocks for
  // up to `budget`.
  absl::Status Check(std::chrono::milliseconds budget);

 private:
  const ReloadCoordinator* const coordinator_;
  const std::chrono::milliseconds reload_limit_;
  std::unique_ptr<v1::Classifier::Stub> stub_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_LIVENESS_PROBE_H_
