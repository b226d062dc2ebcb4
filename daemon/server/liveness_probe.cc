#include "server/liveness_probe.h"

#include <fmt/format.h>

namespace classifyd {

LivenessProbe::LivenessProbe(grpc::Server* server,
                             const ReloadCoordinator* coordinator,
                             std::chrono::milliseconds reload_limit)
    : coordinator_(coordinator),
      reload_limit_(reload_limit),
      stub_(v1::Classifier::NewStub(
          server->InProcessChannel(grpc::ChannelArguments()))) {}

absl::Status LivenessProbe::Check(std::chrono::milliseconds budget) {
  const auto now = std::chrono::steady_clock::now();
  if (const auto since = coordinator_->busy_since()) {
    const auto busy =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - *since);
    if (busy > reload_limit_) {
      return absl::UnavailableError(fmt::format(
          "a plugin reload has been running for {} ms (limit {} ms, "
          "--reload-stuck-timeout)",
          busy.count(), reload_limit_.count()));
    }
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + budget);
  v1::ClassifyRequest request;
  request.set_id("watchdog-probe");
  request.set_text("看门狗探测 watchdog probe");
  v1::ClassifyResponse response;
  const grpc::Status status = stub_->Classify(&context, request, &response);
  const auto took = std::chrono::steady_clock::now() - now;
  // Any answer, even "no classifier is ready", proves the server and the
  // classifiers it calls make progress; only silence does not. The server
  // may answer DEADLINE_EXCEEDED itself, when the only classifier ran past
  // its plugin time limit (the daemon contains that: the classifier is
  // skipped from then on); only the probe's own deadline, reached after
  // (most of) the budget, is silence.
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
      took >= budget * 9 / 10) {
    return absl::UnavailableError(fmt::format(
        "a probe Classify call got no answer within {} ms (a classifier "
        "hangs or the server is wedged)",
        budget.count()));
  }
  return absl::OkStatus();
}

}  // namespace classifyd
