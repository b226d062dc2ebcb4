#include "server/daemon.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>

#include "registry/classifier_registry.h"
#include "registry/retirer.h"
#include "service/classifier_service.h"

namespace classifyd {
namespace {

constexpr char kServiceName[] = "classifyd.v1.Classifier";

// A directory for private plugin copies, removed when the daemon exits.
class PrivateDir {
 public:
  explicit PrivateDir(const std::string& parent) {
    std::string tmpl = parent + "/classifyd-plugins-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~PrivateDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void UpdateHealth(grpc::Server& server, const ClassifierRegistry& registry) {
  const bool serving = registry.HasReady();
  auto* health = server.GetHealthCheckService();
  health->SetServingStatus("", serving);
  health->SetServingStatus(kServiceName, serving);
}

void LogReconcile(const char* why,
                  const ClassifierRegistry::ReconcileResult& r) {
  spdlog::info("{}: {} loaded, {} failed, {} removed, {} unchanged", why,
               r.loaded, r.failed, r.removed, r.unchanged);
}

}  // namespace

int RunDaemon(const DaemonOptions& options) {
  // Signals are taken synchronously by this thread with sigwait(); every
  // thread started from here on inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  PrivateDir private_dir(options.runtime_dir);
  if (private_dir.path().empty()) {
    spdlog::critical("cannot create a directory in --runtime-dir '{}'",
                     options.runtime_dir);
    return 1;
  }

  Retirer retirer;
  auto registry = std::make_unique<ClassifierRegistry>(
      ClassifierRegistry::Options{options.plugin_dir, options.plugin_lib_dir,
                                  private_dir.path()},
      &retirer);
  auto service =
      std::make_unique<ClassifierService>(registry.get(), options.limits);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(service.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    spdlog::critical("cannot listen on '{}' (address in use or invalid?)",
                     options.listen);
    return 1;
  }
  UpdateHealth(*server, *registry);  // NOT_SERVING until classifiers load.
  spdlog::info("listening on {} (port {})", options.listen, port);
  if (!options.port_file.empty()) {
    std::ofstream(options.port_file) << port << "\n";
  }

  spdlog::info("loading classifiers from '{}'", options.plugin_dir);
  LogReconcile("startup", registry->Reconcile());
  UpdateHealth(*server, *registry);
  if (!registry->HasReady()) {
    spdlog::warn("no classifier is ready; health reports NOT_SERVING until "
                 "one loads (send SIGHUP after fixing the manifests)");
  }
  spdlog::info("classifyd ready");

  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      spdlog::info("SIGHUP: rescanning '{}'", options.plugin_dir);
      LogReconcile("reload", registry->Reconcile());
      UpdateHealth(*server, *registry);
      continue;
    }
    spdlog::info("{}: draining for up to {}s, then exiting", strsignal(signal),
                 options.drain_timeout_seconds);
    break;
  }

  server->GetHealthCheckService()->Shutdown();
  const auto deadline =
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(
          static_cast<int64_t>(options.drain_timeout_seconds * 1000));
  server->Shutdown(deadline);
  server->Wait();
  server.reset();
  service.reset();
  registry.reset();  // Queues the retirement of every classifier.
  retirer.Drain();
  spdlog::info("classifyd stopped");
  return 0;
}

}  // namespace classifyd
