// `classifyctl health`: the standard grpc.health.v1 Check, which classifyd
// answers SERVING once at least one classifier is ready, and per classifier
// (service "classifyd.v1.Classifier/<name>") while that one can answer.
// Exit code 4 for NOT_SERVING lets scripts and probes wait for readiness
// without parsing.
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace classifyctl {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

struct HealthOptions {
  std::string service;
};

// A bare classifier name ("lexicon") stands for its health service; a
// full service name ("classifyd.v1.Classifier", or one with a '/') is
// asked as it is.
std::string HealthServiceName(const std::string& service) {
  constexpr char kPublicService[] = "classifyd.v1.Classifier";
  if (service.empty() || service == kPublicService ||
      service.find('/') != std::string::npos ||
      service.starts_with("grpc.")) {
    return service;
  }
  return std::string(kPublicService) + "/" + service;
}

int Run(const HealthOptions& options, const GlobalOptions& global) {
  auto stub = grpc::health::v1::Health::NewStub(PublicChannel(global));
  grpc::ClientContext context;
  SetDeadline(&context, global);
  HealthCheckRequest request;
  request.set_service(HealthServiceName(options.service));
  HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return ReportRpcError(status, global, Endpoint::kPublic);
  std::printf(
      "%s\n",
      HealthCheckResponse::ServingStatus_Name(response.status()).c_str());
  switch (response.status()) {
    case HealthCheckResponse::SERVING:
      return kExitOk;
    case HealthCheckResponse::NOT_SERVING:
      PrintError(options.service.empty()
                     ? "not serving: no classifier is ready yet; see "
                       "`classifyctl plugins` for their states and errors"
                     : "not serving: '" + options.service +
                           "' is not ready (failed, stuck or shutting "
                           "down); see `classifyctl plugins`");
      return kExitNotServing;
    default:
      return kExitFailed;
  }
}

}  // namespace

Command AddHealthCommand(CLI::App* parent, const GlobalOptions* global) {
  auto options = std::make_shared<HealthOptions>();
  CLI::App* app = parent->add_subcommand(
      "health", "Print SERVING (exit 0) or NOT_SERVING (exit 4)");
  app->footer(
      "\nAsks the server's grpc.health.v1 service. classifyd is SERVING "
      "once at least one classifier is ready; a classifier is SERVING while "
      "it is ready and answering. An unknown classifier fails with "
      "NOT_FOUND.");
  app->add_option("--service", options->service,
                  "Service to ask about; default: the whole server. "
                  "classifyd also answers for classifyd.v1.Classifier and, "
                  "per classifier, classifyd.v1.Classifier/NAME; a bare "
                  "classifier NAME means the latter")
      ->type_name("NAME");
  return {app, [options, global] { return Run(*options, *global); }};
}

}  // namespace classifyctl
