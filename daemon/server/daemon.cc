#include "server/daemon.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <httplib.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <memory>

#include "health/health_publisher.h"
#include "http/http_api.h"
#include "http/http_server.h"
#include "metrics/metrics.h"
#include "invoker/invoker.h"
#include "registry/classifier_registry.h"
#include "registry/plugin_watcher.h"
#include "registry/reload_coordinator.h"
#include "registry/retirer.h"
#include "server/admin_socket.h"
#include "server/config_reload.h"
#include "server/liveness_probe.h"
#include "server/runtime_dir.h"
#include "server/systemd_notify.h"
#include "server/tls_credentials.h"
#include "server/watchdog.h"
#include "service/admin_service.h"
#include "service/classifier_service.h"

namespace classifyd {
namespace {

// Re-evaluates health when a plugin call gets stuck or recovers. Created
// before the invoker (which reports to it) and attached to the health
// publisher once the server exists.
class StuckCallsToHealth final : public InvokerObserver {
 public:
  void Attach(HealthPublisher* health) {
    std::lock_guard lock(mu_);
    health_ = health;
  }
  void CallStuck(const Classifier&) override { Update(); }
  void CallRecovered(const Classifier&) override { Update(); }

 private:
  void Update() {
    std::lock_guard lock(mu_);
    if (health_ != nullptr) health_->Update();
  }
  std::mutex mu_;
  HealthPublisher* health_ = nullptr;
};

// Builds the admin listener on a Unix socket; null (logged) on failure.
std::unique_ptr<grpc::Server> StartAdminServer(const std::string& socket_path,
                                               AdminService* service) {
  std::string problem = PrepareAdminSocketDir(socket_path);
  if (!problem.empty()) {
    spdlog::critical("{}", problem);
    return nullptr;
  }
  grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort("unix:" + socket_path,
                           grpc::InsecureServerCredentials(), &bound);
  builder.RegisterService(service);
  // The socket is created by BuildAndStart: make it 0600 from the start.
  const mode_t old_umask = umask(0177);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  umask(old_umask);
  if (server == nullptr || bound == 0) {
    spdlog::critical("cannot listen on admin socket '{}'", socket_path);
    return nullptr;
  }
  spdlog::info("admin API (PluginAdmin) on unix:{}", socket_path);
  return server;
}

// Starts the HTTP/JSON API listener of --http-listen; null (logged) on
// failure.
std::unique_ptr<HttpServer> StartHttpApi(const HttpApi& api,
                                         const DaemonOptions& options) {
  absl::StatusOr<std::unique_ptr<httplib::Server>> engine =
      api.MakeServer(options.tls);
  absl::StatusOr<std::unique_ptr<HttpServer>> started =
      engine.ok() ? HttpServer::Start(*std::move(engine), options.http_listen)
                  : engine.status();
  if (!started.ok()) {
    spdlog::critical("--http-listen: {}",
                     std::string(started.status().message()));
    return nullptr;
  }
  std::unique_ptr<HttpServer> server = *std::move(started);
  api.RaiseBacklog();
  spdlog::info("HTTP/JSON API and console on {} port {} ({})",
               options.http_listen, server->port(),
               options.tls.enabled() ? "https" : "http");
  if (!options.http_port_file.empty()) {
    std::ofstream(options.http_port_file) << server->port() << "\n";
  }
  return server;
}

// The STATUS= line systemctl status shows while serving.
std::string ServingStatus(const ClassifierRegistry& registry, int port) {
  size_t ready = 0;
  size_t failed = 0;
  for (const ClassifierStatus& c : registry.List()) {
    if (c.state == ClassifierState::kReady) ++ready;
    if (c.state == ClassifierState::kFailed) ++failed;
  }
  return "serving on port " + std::to_string(port) + ": " +
         std::to_string(ready) + " classifier(s) ready, " +
         std::to_string(failed) + " failed";
}

}  // namespace

DaemonExit RunDaemon(const DaemonOptions& options) {
  // Signals are taken synchronously by this thread with sigwait(); every
  // thread started from here on inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A client that goes away while its HTTPS response is written must cost
  // an EPIPE, not the process: OpenSSL writes with write(), which raises
  // SIGPIPE (gRPC and plain HTTP send with MSG_NOSIGNAL).
  signal(SIGPIPE, SIG_IGN);

  if (std::string problem = CheckTlsSettings(options.tls); !problem.empty()) {
    spdlog::critical("TLS: {}", problem);
    return {2};
  }

  absl::StatusOr<std::unique_ptr<RuntimeDir>> made_dir =
      RuntimeDir::Create(options.runtime_dir, SystemdRuntimeDirectory());
  if (!made_dir.ok()) {
    spdlog::critical("{}", std::string(made_dir.status().message()));
    return {1};
  }
  const std::unique_ptr<RuntimeDir> runtime_dir = *std::move(made_dir);
  const std::string admin_socket = options.admin_socket.empty()
                                       ? runtime_dir->admin_socket()
                                       : options.admin_socket;

  Retirer retirer;
  StuckCallsToHealth stuck_calls_to_health;
  auto invoker =
      std::make_unique<Invoker>(options.invoker, &stuck_calls_to_health);
  ClassifierRegistry::Options registry_options;
  registry_options.plugin_dir = options.plugin_dir;
  registry_options.plugin_lib_dir = options.plugin_lib_dir;
  registry_options.private_lib_dir = runtime_dir->plugin_copies();
  registry_options.strict_modes = options.strict_modes;
  registry_options.default_timeout_ms = options.limits.plugin_timeout_ms;
  registry_options.invoker = invoker.get();
  auto registry =
      std::make_unique<ClassifierRegistry>(registry_options, &retirer);
  // Without --metrics-listen (or the console of --http-listen, which shows
  // call figures) nothing is counted: the hooks see null.
  std::unique_ptr<Metrics> metrics;
  if (!options.metrics_listen.empty() || !options.http_listen.empty()) {
    metrics = std::make_unique<Metrics>();
  }
  auto service = std::make_unique<ClassifierService>(
      registry.get(), invoker.get(), options.limits, metrics.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, MakeServerCredentials(options.tls),
                           &port);
  builder.RegisterService(service.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    spdlog::critical("cannot listen on '{}' (address in use or invalid?)",
                     options.listen);
    return {1};
  }
  HealthPublisher health(server->GetHealthCheckService(), registry.get());
  health.Update();  // NOT_SERVING until classifiers load.
  stuck_calls_to_health.Attach(&health);
  spdlog::info("listening on {} (port {}, {})", options.listen, port,
               options.tls.enabled() ? "TLS, client certificates: " +
                                           EffectiveClientAuth(options.tls)
                                     : std::string("plaintext"));

  // Every change to the served set runs on the coordinator's thread.
  ReloadCoordinator::Observer count_reloads;
  if (metrics != nullptr) {
    count_reloads = [m = metrics.get()](ReloadCoordinator::Kind kind,
                                        const ReloadCoordinator::Outcome& o) {
      using Kind = ReloadCoordinator::Kind;
      const ReloadTrigger trigger =
          kind == Kind::kRescan   ? ReloadTrigger::kRescan
          : kind == Kind::kReload ? ReloadTrigger::kReload
          : kind == Kind::kLoad   ? ReloadTrigger::kLoad
                                  : ReloadTrigger::kUnload;
      m->ReloadFinished(trigger, o.result);
    };
  }
  auto coordinator = std::make_unique<ReloadCoordinator>(
      registry.get(), [&health] { health.Update(); }, std::move(count_reloads));
  auto admin_service =
      std::make_unique<AdminService>(registry.get(), coordinator.get());
  // systemd's watchdog (WatchdogSec=): pings only while reloads finish and
  // the server answers a probe; runs from the start, so a load that hangs
  // at startup is caught too.
  std::unique_ptr<LivenessProbe> liveness;
  std::unique_ptr<Watchdog> watchdog;
  if (const auto timeout = WatchdogTimeout()) {
    liveness = std::make_unique<LivenessProbe>(
        server.get(), coordinator.get(),
        std::chrono::milliseconds(
            static_cast<int64_t>(options.reload_stuck_timeout_seconds * 1000)));
    watchdog = std::make_unique<Watchdog>(
        *timeout, [&liveness](std::chrono::milliseconds budget) {
          return liveness->Problem(budget);
        });
  }
  std::unique_ptr<grpc::Server> admin_server;
  if (admin_socket != "none") {
    admin_server = StartAdminServer(admin_socket, admin_service.get());
    if (admin_server == nullptr) return {1};
    // Tells classifyctl whose socket this is (which --addr it belongs to).
    const std::string problem =
        WriteAdminSocketOwner(admin_socket, options.listen, port);
    if (!problem.empty()) spdlog::warn("admin socket: {}", problem);
  }

  spdlog::info("loading classifiers from '{}'", options.plugin_dir);
  std::promise<void> loaded;
  coordinator->RequestRescan(
      "startup", [&](const ReloadCoordinator::Outcome&) { loaded.set_value(); });
  loaded.get_future().wait();
  if (!registry->HasReady()) {
    spdlog::warn("no classifier is ready; health reports NOT_SERVING until "
                 "one loads");
  }
  std::unique_ptr<PluginWatcher> watcher;
  if (options.watch) {
    watcher = PluginWatcher::Start(
        registry.get(), coordinator.get(),
        std::chrono::milliseconds(options.reload_debounce_ms),
        std::chrono::milliseconds(options.reload_debounce_ms * 4));
  }
  std::unique_ptr<HttpServer> metrics_server;
  if (!options.metrics_listen.empty()) {
    auto started = HttpServer::Start(
        options.metrics_listen, "/metrics",
        [m = metrics.get(), r = registry.get()] {
          return HttpServer::Page{m->Expose(r->List(), ReadProcessStats()),
                                  Metrics::kContentType};
        });
    if (!started.ok()) {
      spdlog::critical("--metrics-listen: {}",
                       std::string(started.status().message()));
      return {1};
    }
    metrics_server = *std::move(started);
    spdlog::info("Prometheus metrics on {} port {}, path /metrics",
                 options.metrics_listen, metrics_server->port());
    if (!options.metrics_port_file.empty()) {
      std::ofstream(options.metrics_port_file)
          << metrics_server->port() << "\n";
    }
  }
  std::unique_ptr<HttpApi> http_api;
  std::unique_ptr<HttpServer> http_server;
  if (!options.http_listen.empty()) {
    http_api = std::make_unique<HttpApi>(
        service->engine(), registry.get(), metrics.get(),
        HttpApiOptions{.max_body_bytes = options.max_message_bytes,
                       .threads = options.http_threads,
                       .read_timeout = std::chrono::milliseconds(
                           static_cast<int64_t>(
                               options.http_read_timeout_seconds * 1000)),
                       .max_streams = std::max(1, options.http_threads / 2)});
    http_server = StartHttpApi(*http_api, options);
    if (http_server == nullptr) return {1};
  }
  if (!options.port_file.empty()) {
    // Written last: tests and scripts read it as "ready for traffic".
    std::ofstream(options.port_file) << port << "\n";
  }
  spdlog::info("classifyd ready");
  NotifyReady(ServingStatus(*registry, port));

  DaemonOptions running = options;  // SIGHUP may change some settings.

  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      NotifyReloading("reloading (SIGHUP)");
      if (!running.config_file.empty()) {
        const bool taken = ApplySettingsReload(&running, service.get());
        if (metrics != nullptr) metrics->ConfigReloaded(taken);
      }
      coordinator->RequestRescan(
          "SIGHUP", [&registry, port](const ReloadCoordinator::Outcome&) {
            NotifyReady(ServingStatus(*registry, port));
          });
      continue;
    }
    spdlog::info("{}: draining for up to {}s, then exiting", strsignal(signal),
                 running.drain_timeout_seconds);
    break;
  }

  NotifyStopping("draining for up to " +
                 std::to_string(running.drain_timeout_seconds) + "s");
  watchdog.reset();
  liveness.reset();
  watcher.reset();
  stuck_calls_to_health.Attach(nullptr);  // Health is shut down next.
  server->GetHealthCheckService()->Shutdown();
  const auto drain_time = std::chrono::milliseconds(
      static_cast<int64_t>(running.drain_timeout_seconds * 1000));
  const auto deadline = std::chrono::system_clock::now() + drain_time;
  // Plugin calls still running shortly before the end of the drain are
  // abandoned, so that their requests are answered (UNAVAILABLE) before
  // the server's own deadline cancels them, however long plugins hang.
  invoker->AbandonAt(std::chrono::steady_clock::now() + drain_time -
                     std::min<std::chrono::milliseconds>(
                         drain_time / 10, std::chrono::seconds(1)));
  // First the streams in flight end on a server that runs as usual (new
  // streams are refused): see service/call_tracker.h for why gRPC's own
  // drain is not enough for streams. Then the server shuts down: no new
  // calls, and the unary calls in flight (and streams still open) get the
  // rest of the drain time, at least a reserve of half of it up to 2 s,
  // so that a stream that never ends does not leave a unary call that
  // just started no time at all.
  const auto reserve = std::min<std::chrono::milliseconds>(
      drain_time / 2, std::chrono::seconds(2));
  service->StartDraining();
  if (http_api != nullptr) http_api->StartDraining();
  spdlog::info("new streams refused; waiting for the streams in flight");
  if (const int left = service->WaitForStreams(
          std::chrono::steady_clock::now() + drain_time - reserve);
      left > 0) {
    spdlog::warn("{} stream(s) still open; cancelled if not done in {} ms",
                 left, reserve.count());
  }
  if (admin_server != nullptr) admin_server->Shutdown(deadline);
  server->Shutdown(deadline);
  server->Wait();
  if (admin_server != nullptr) admin_server->Wait();
  http_server.reset();  // Its calls in flight finish first.
  http_api.reset();
  metrics_server.reset();  // Scrapable while draining.
  coordinator.reset();
  admin_server.reset();
  admin_service.reset();
  server.reset();
  service.reset();
  // Workers still inside a plugin keep their classifier referenced for
  // good from here on, so the registry and the Retirer may go.
  const int abandoned = invoker->Stop();
  invoker.reset();
  registry.reset();  // Queues the retirement of every classifier.
  retirer.Drain();
  if (admin_socket != "none") {
    unlink(admin_socket.c_str());
    unlink(AdminSocketOwnerFile(admin_socket).c_str());
  }
  if (abandoned > 0) {
    spdlog::warn(
        "{} plugin call(s) that timed out are still running; exiting "
        "without waiting for them (status {})",
        abandoned, kAbandonedCallsExitStatus);
    runtime_dir->Remove();  // The mapped library copies stay usable.
    spdlog::info("classifyd stopped");
    return {kAbandonedCallsExitStatus, /*quick=*/true};
  }
  spdlog::info("classifyd stopped");
  return {0};
}

}  // namespace classifyd
