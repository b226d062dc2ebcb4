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
#include "invoker/invoker.h"
#include "metrics/metrics.h"
#include "registry/classifier_registry.h"
#include "registry/plugin_watcher.h"
#include "registry/reload_coordinator.h"
#include "registry/retirer.h"
#include "server/admin_socket.h"
#include "server/classifier_samples.h"
#include "server/config_reload.h"
#include "server/liveness_probe.h"
#include "server/runtime_dir.h"
#include "server/server_shutdown.h"
#include "server/systemd_notify.h"
#include "server/tls_credentials.h"
#include "server/watchdog.h"
#include "service/admin_service.h"
#include "service/classifier_service.h"

namespace classifyd {

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

namespace {

// The admin listener on a Unix socket, listening.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartAdminServer(
    const std::string& socket_path, AdminService* service) {
  if (absl::Status usable = PrepareAdminSocketDir(socket_path); !usable.ok()) {
    return usable;
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
    return absl::UnavailableError("cannot listen on admin socket '" +
                                  socket_path + "'");
  }
  spdlog::info("admin API (PluginAdmin) on unix:{}", socket_path);
  return server;
}

// The HTTP/JSON API listener of --http-listen, listening.
absl::StatusOr<std::unique_ptr<HttpServer>> ListenHttpApi(
    const HttpApi& api, const DaemonOptions& options) {
  absl::StatusOr<std::unique_ptr<httplib::Server>> engine =
      api.MakeServer(options.tls);
  absl::StatusOr<std::unique_ptr<HttpServer>> started =
      engine.ok() ? HttpServer::Start(*std::move(engine), options.http_listen)
                  : engine.status();
  if (!started.ok()) {
    return absl::Status(
        started.status().code(),
        "--http-listen: " + std::string(started.status().message()));
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

// Counts every change to the served set, by what asked for it.
ReloadCoordinator::Observer CountReloads(Metrics* metrics) {
  if (metrics == nullptr) return {};
  return [metrics](ReloadCoordinator::Kind kind,
                   const ReloadCoordinator::Outcome& o) {
    using Kind = ReloadCoordinator::Kind;
    const ReloadTrigger trigger =
        kind == Kind::kRescan   ? ReloadTrigger::kRescan
        : kind == Kind::kReload ? ReloadTrigger::kReload
        : kind == Kind::kLoad   ? ReloadTrigger::kLoad
                                : ReloadTrigger::kUnload;
    metrics->ReloadFinished(trigger, CountsOf(o.result));
  };
}

std::chrono::milliseconds Milliseconds(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

}  // namespace

Daemon::Daemon(const DaemonOptions& options) : running_(options) {}

Daemon::~Daemon() {
  // A Start that failed part way: no stuck-call report may reach the
  // health publisher while it goes.
  if (stuck_calls_to_health_ != nullptr)
    stuck_calls_to_health_->Attach(nullptr);
  // Calls that reached its listeners are cancelled, not waited for: a
  // stream a client keeps open would otherwise hold the exit for good.
  // (After a drain, Release() has already taken both servers.)
  const auto now = std::chrono::system_clock::now();
  if (admin_server_ != nullptr) admin_server_->Shutdown(now);
  if (server_ != nullptr) server_->Shutdown(now);
}

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(
    const DaemonOptions& options) {
  std::unique_ptr<Daemon> daemon(new Daemon(options));
  // Signals are taken synchronously by this thread with sigwait(); every
  // thread started from here on inherits the mask.
  sigemptyset(&daemon->signals_);
  sigaddset(&daemon->signals_, SIGTERM);
  sigaddset(&daemon->signals_, SIGINT);
  sigaddset(&daemon->signals_, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &daemon->signals_, nullptr);
  // A client that goes away while its HTTPS response is written must cost
  // an EPIPE, not the process: OpenSSL writes with write(), which raises
  // SIGPIPE (gRPC and plain HTTP send with MSG_NOSIGNAL).
  signal(SIGPIPE, SIG_IGN);

  if (absl::Status tls = CheckTlsSettings(options.tls); !tls.ok()) {
    return absl::InvalidArgumentError("TLS: " + std::string(tls.message()));
  }
  if (absl::Status made = daemon->MakeRuntimeDir(); !made.ok()) return made;
  daemon->MakeClassifying();
  if (absl::Status grpc = daemon->StartGrpc(); !grpc.ok()) return grpc;
  daemon->StartControl();
  if (absl::Status admin = daemon->StartAdmin(); !admin.ok()) return admin;
  daemon->LoadClassifiers();
  if (absl::Status m = daemon->StartMetricsListener(); !m.ok()) return m;
  if (absl::Status http = daemon->StartHttpApi(); !http.ok()) return http;
  daemon->ReportReady();
  return daemon;
}

absl::Status Daemon::MakeRuntimeDir() {
  absl::StatusOr<std::unique_ptr<RuntimeDir>> made =
      RuntimeDir::Create(running_.runtime_dir, SystemdRuntimeDirectory());
  if (!made.ok()) return made.status();
  runtime_dir_ = *std::move(made);
  admin_socket_ = running_.admin_socket.empty() ? runtime_dir_->admin_socket()
                                                : running_.admin_socket;
  return absl::OkStatus();
}

// The parts that classify: the invoker's workers, the registry of loaded
// classifiers and the service in front of them.
void Daemon::MakeClassifying() {
  retirer_ = std::make_unique<Retirer>();
  stuck_calls_to_health_ = std::make_unique<StuckCallsToHealth>();
  invoker_ =
      std::make_unique<Invoker>(running_.invoker, stuck_calls_to_health_.get());
  ClassifierRegistry::Options registry_options;
  registry_options.plugin_dir = running_.plugin_dir;
  registry_options.plugin_lib_dir = running_.plugin_lib_dir;
  registry_options.private_lib_dir = runtime_dir_->plugin_copies();
  registry_options.strict_modes = running_.strict_modes;
  registry_options.default_timeout_ms = running_.limits.plugin_timeout_ms;
  registry_options.invoker = invoker_.get();
  registry_ =
      std::make_unique<ClassifierRegistry>(registry_options, retirer_.get());
  // Without --metrics-listen (or the console of --http-listen, which shows
  // call figures) nothing is counted: the hooks see null.
  if (!running_.metrics_listen.empty() || !running_.http_listen.empty()) {
    metrics_ = std::make_unique<Metrics>();
  }
  service_ = std::make_unique<ClassifierService>(
      registry_.get(), invoker_.get(), running_.limits, metrics_.get());
}

absl::Status Daemon::StartGrpc() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(running_.listen, MakeServerCredentials(running_.tls),
                           &port_);
  builder.RegisterService(service_.get());
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(running_.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(running_.max_message_bytes));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError("cannot listen on '" + running_.listen +
                                  "' (address in use or invalid?)");
  }
  health_ = std::make_unique<HealthPublisher>(server_->GetHealthCheckService(),
                                              registry_.get());
  health_->Update();  // NOT_SERVING until classifiers load.
  stuck_calls_to_health_->Attach(health_.get());
  spdlog::info("listening on {} (port {}, {})", running_.listen, port_,
               running_.tls.enabled() ? "TLS, client certificates: " +
                                            EffectiveClientAuth(running_.tls)
                                      : std::string("plaintext"));
  return absl::OkStatus();
}

// The reload coordinator, through which every change to the served set
// runs, and systemd's watchdog (WatchdogSec=): it pings only while reloads
// finish and the server answers a probe, from the start, so a load that
// hangs at startup is caught too.
void Daemon::StartControl() {
  coordinator_ = std::make_unique<ReloadCoordinator>(
      registry_.get(), [health = health_.get()] { health->Update(); },
      CountReloads(metrics_.get()));
  admin_service_ =
      std::make_unique<AdminService>(registry_.get(), coordinator_.get());
  if (const auto timeout = WatchdogTimeout()) {
    liveness_ = std::make_unique<LivenessProbe>(
        server_.get(), coordinator_.get(),
        Milliseconds(running_.reload_stuck_timeout_seconds));
    watchdog_ = std::make_unique<Watchdog>(
        *timeout, [liveness = liveness_.get()](std::chrono::milliseconds b) {
          return liveness->Check(b);
        });
  }
}

absl::Status Daemon::StartAdmin() {
  if (admin_socket_ == "none") return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<grpc::Server>> started =
      StartAdminServer(admin_socket_, admin_service_.get());
  if (!started.ok()) return started.status();
  admin_server_ = *std::move(started);
  // Tells classifyctl whose socket this is (which --addr it belongs to).
  if (absl::Status written =
          WriteAdminSocketOwner(admin_socket_, running_.listen, port_);
      !written.ok()) {
    spdlog::warn("admin socket: {}", std::string(written.message()));
  }
  return absl::OkStatus();
}

// The first scan of the plugin directory, waited for; then the watcher
// that follows its changes.
void Daemon::LoadClassifiers() {
  spdlog::info("loading classifiers from '{}'", running_.plugin_dir);
  std::promise<void> loaded;
  coordinator_->RequestRescan(
      "startup",
      [&](const ReloadCoordinator::Outcome&) { loaded.set_value(); });
  loaded.get_future().wait();
  if (!registry_->HasReady()) {
    spdlog::warn("no classifier is ready; health reports NOT_SERVING until "
                 "one loads");
  }
  if (running_.watch) {
    watcher_ = PluginWatcher::Start(
        registry_.get(), coordinator_.get(),
        std::chrono::milliseconds(running_.reload_debounce_ms),
        std::chrono::milliseconds(running_.reload_debounce_ms * 4));
  }
}

absl::Status Daemon::StartMetricsListener() {
  if (running_.metrics_listen.empty()) return absl::OkStatus();
  auto started = HttpServer::Start(
      running_.metrics_listen, "/metrics",
      [m = metrics_.get(), r = registry_.get()] {
        return HttpServer::Page{
            m->Expose(SampleClassifiers(r->List()), ReadProcessStats()),
            Metrics::kContentType};
      });
  if (!started.ok()) {
    return absl::Status(
        started.status().code(),
        "--metrics-listen: " + std::string(started.status().message()));
  }
  metrics_server_ = *std::move(started);
  spdlog::info("Prometheus metrics on {} port {}, path /metrics",
               running_.metrics_listen, metrics_server_->port());
  if (!running_.metrics_port_file.empty()) {
    std::ofstream(running_.metrics_port_file)
        << metrics_server_->port() << "\n";
  }
  return absl::OkStatus();
}

absl::Status Daemon::StartHttpApi() {
  if (running_.http_listen.empty()) return absl::OkStatus();
  http_api_ = std::make_unique<HttpApi>(
      service_->engine(), registry_.get(), metrics_.get(),
      HttpApiOptions{
          .max_body_bytes = running_.max_message_bytes,
          .threads = running_.http_threads,
          .read_timeout = Milliseconds(running_.http_read_timeout_seconds),
          .max_streams = std::max(1, running_.http_threads / 2)});
  absl::StatusOr<std::unique_ptr<HttpServer>> started =
      ListenHttpApi(*http_api_, running_);
  if (!started.ok()) return started.status();
  http_server_ = *std::move(started);
  return absl::OkStatus();
}

void Daemon::ReportReady() {
  if (!running_.port_file.empty()) {
    // Written last: tests and scripts read it as "ready for traffic".
    std::ofstream(running_.port_file) << port_ << "\n";
  }
  spdlog::info("classifyd ready");
  NotifyReady(ServingStatus(*registry_, port_));
}

void Daemon::Serve() {
  for (;;) {
    int signal = 0;
    if (sigwait(&signals_, &signal) != 0) continue;
    if (signal == SIGHUP) {
      ReloadOnSighup();
      continue;
    }
    spdlog::info("{}: draining for up to {}s, then exiting", strsignal(signal),
                 running_.drain_timeout_seconds);
    return;
  }
}

void Daemon::ReloadOnSighup() {
  NotifyReloading("reloading (SIGHUP)");
  if (!running_.config_file.empty()) {
    const bool taken = ApplySettingsReload(&running_, service_.get());
    if (metrics_ != nullptr) metrics_->ConfigReloaded(taken);
  }
  coordinator_->RequestRescan(
      "SIGHUP", [registry = registry_.get(),
                 port = port_](const ReloadCoordinator::Outcome& outcome) {
        // Dropped because the daemon is stopping: it is not ready again.
        if (!outcome.cancelled) NotifyReady(ServingStatus(*registry, port));
      });
}

DaemonExit Daemon::Drain() {
  NotifyStopping("draining for up to " +
                 std::to_string(running_.drain_timeout_seconds) + "s");
  watchdog_.reset();
  liveness_.reset();
  watcher_.reset();
  // No reload starts from here on: the queued ones, admin calls among them,
  // are answered as cancelled.
  coordinator_->Stop();
  stuck_calls_to_health_->Attach(nullptr);  // Health is shut down next.
  server_->GetHealthCheckService()->Shutdown();
  const bool reloads_ended = FinishStreamsAndCalls();
  // Workers still inside a plugin keep their classifier referenced for
  // good from here on, so the registry and the Retirer may go.
  const int abandoned = invoker_->Stop();
  if (!reloads_ended) {
    // The control thread is inside a plugin's create() with the registry
    // in hand, so nothing it uses may be torn down.
    spdlog::error(
        "a reload is still running inside a plugin (create() has not "
        "returned); exiting without waiting for it (status {})",
        kAbandonedCallsExitStatus);
    runtime_dir_->Remove();
    spdlog::info("classifyd stopped");
    return {kAbandonedCallsExitStatus, /*quick=*/true};
  }
  Release();
  if (abandoned > 0) {
    spdlog::warn(
        "{} plugin call(s) that timed out are still running; exiting "
        "without waiting for them (status {})",
        abandoned, kAbandonedCallsExitStatus);
    runtime_dir_->Remove();  // The mapped library copies stay usable.
    spdlog::info("classifyd stopped");
    return {kAbandonedCallsExitStatus, /*quick=*/true};
  }
  spdlog::info("classifyd stopped");
  return {0};
}

// First the streams in flight end on a server that runs as usual (new
// streams are refused): see service/call_tracker.h for why gRPC's own
// drain is not enough for streams. Then the server shuts down: no new
// calls, and the unary calls in flight (and streams still open) get the
// rest of the drain time, at least a reserve of half of it up to 2 s, so
// that a stream that never ends does not leave a unary call that just
// started no time at all; connections that carry no call are not waited
// for (server/server_shutdown.h). HTTP streams are waited for alongside, and
// those still open then are ended, since the HTTP listener's threads can only
// stop once its streams have. The admin server goes last, once the reload
// running, if any, has ended.
bool Daemon::FinishStreamsAndCalls() {
  const auto drain_time = Milliseconds(running_.drain_timeout_seconds);
  const auto deadline = std::chrono::system_clock::now() + drain_time;
  const auto steady_deadline = std::chrono::steady_clock::now() + drain_time;
  // Plugin calls still running shortly before the end of the drain are
  // abandoned, so that their requests are answered (UNAVAILABLE) before
  // the server's own deadline cancels them, however long plugins hang.
  invoker_->AbandonAt(std::chrono::steady_clock::now() + drain_time -
                      std::min<std::chrono::milliseconds>(
                          drain_time / 10, std::chrono::seconds(1)));
  const auto reserve = std::min<std::chrono::milliseconds>(
      drain_time / 2, std::chrono::seconds(2));
  service_->StartDraining();
  if (http_api_ != nullptr) http_api_->StartDraining();
  spdlog::info("new streams refused; waiting for the streams in flight");
  const auto streams_deadline =
      std::chrono::steady_clock::now() + drain_time - reserve;
  if (const int left = service_->WaitForStreams(streams_deadline); left > 0) {
    spdlog::warn("{} stream(s) still open; cancelled if not done in {} ms",
                 left, reserve.count());
  }
  if (http_api_ != nullptr) {
    if (const int left = http_api_->WaitForStreams(streams_deadline);
        left > 0) {
      spdlog::warn("{} HTTP stream(s) still open; ended at their next read",
                   left);
    }
    http_api_->EndStreams();
  }
  ShutdownServer(server_.get(), deadline, [service = service_.get()] {
    return service->CallsInFlight();
  });
  server_->Wait();
  // An admin call ends when the reload it asked for does, so the admin
  // server can only shut down once no reload runs.
  const bool reloads_ended = coordinator_->WaitUntilIdle(steady_deadline);
  if (admin_server_ != nullptr && reloads_ended) {
    ShutdownServer(admin_server_.get(), deadline,
                   [admin = admin_service_.get()] {
                     return admin->CallsInFlight();
                   });
    admin_server_->Wait();
  }
  return reloads_ended;
}

// Releases the parts in the order their users go first; the runtime
// directory stays for the caller.
void Daemon::Release() {
  http_server_.reset();  // Its calls in flight finish first.
  http_api_.reset();
  metrics_server_.reset();  // Scrapable while draining.
  coordinator_.reset();
  admin_server_.reset();
  admin_service_.reset();
  health_.reset();
  server_.reset();
  service_.reset();
  invoker_.reset();
  registry_.reset();  // Queues the retirement of every classifier.
  retirer_->Drain();
  if (admin_socket_ != "none") {
    unlink(admin_socket_.c_str());
    unlink(AdminSocketOwnerFile(admin_socket_).c_str());
  }
}

}  // namespace classifyd
