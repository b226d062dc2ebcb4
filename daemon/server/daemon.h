// The classifyd process: owns the registry, the gRPC server, the optional
// listeners and the signal loop, and tears them down in the right order.
//
// Not thread-safe: Start, Serve and Drain run on the main thread, in that
// order. Everything the daemon starts runs on threads of its own.
#ifndef CLASSIFYD_DAEMON_SERVER_DAEMON_H_
#define CLASSIFYD_DAEMON_SERVER_DAEMON_H_

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <signal.h>

#include <memory>
#include <string>

#include "server/options.h"

namespace grpc {
class Server;
}

namespace classifyd {

class AdminService;
class ClassifierRegistry;
class ClassifierService;
class HealthPublisher;
class HttpApi;
class HttpServer;
class Invoker;
class LivenessProbe;
class Metrics;
class PluginWatcher;
class ReloadCoordinator;
class Retirer;
class RuntimeDir;
class StuckCallsToHealth;
class Watchdog;

// The exit status when plugin calls, or a reload inside a plugin's
// create(), were still stuck at shutdown: every request was answered, but
// a plugin misbehaved, which a service manager should see.
inline constexpr int kAbandonedCallsExitStatus = 3;

struct DaemonExit {
  int status = 0;  // The process exit status.
  // Plugin code is still running: leave with std::quick_exit(), without
  // destroying the daemon, since neither its parts nor static destructors
  // (a plugin's own among them) may go under it (see invoker/invoker.h).
  bool quick = false;
};

class Daemon {
 public:
  // Sets up everything, loads the classifiers and starts serving: the
  // port file, if any, is written last. INVALID_ARGUMENT for settings that
  // cannot work together (exit status 2), another status for what could
  // not be set up (exit status 1); the message says what. REQUIRES: called
  // from the main thread before any other thread exists (it blocks the
  // handled signals for every thread it starts).
  static absl::StatusOr<std::unique_ptr<Daemon>> Start(
      const DaemonOptions& options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Serves until SIGTERM or SIGINT. SIGHUP reloads the config file's
  // reloadable settings and rescans the plugin directory.
  void Serve();

  // Stops taking work, lets the calls in flight finish within the drain
  // time, and releases everything. Returns how the process should end.
  DaemonExit Drain();

 private:
  explicit Daemon(const DaemonOptions& options);

  absl::Status MakeRuntimeDir();
  void MakeClassifying();
  absl::Status StartGrpc();
  void StartControl();
  absl::Status StartAdmin();
  void LoadClassifiers();
  absl::Status StartMetricsListener();
  absl::Status StartHttpApi();
  void ReportReady();
  void ReloadOnSighup();
  // False if a reload was still running in a plugin at the drain's end.
  bool FinishStreamsAndCalls();
  void Release();

  DaemonOptions running_;  // SIGHUP may change some settings.
  sigset_t signals_;
  int port_ = 0;
  std::string admin_socket_;
  // Declared in the order they are made: a Start that fails part way
  // releases what exists in reverse order, as Release() does.
  std::unique_ptr<RuntimeDir> runtime_dir_;
  std::unique_ptr<Retirer> retirer_;
  std::unique_ptr<StuckCallsToHealth> stuck_calls_to_health_;
  std::unique_ptr<Invoker> invoker_;
  std::unique_ptr<ClassifierRegistry> registry_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<ClassifierService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<HealthPublisher> health_;
  std::unique_ptr<ReloadCoordinator> coordinator_;
  std::unique_ptr<AdminService> admin_service_;
  std::unique_ptr<LivenessProbe> liveness_;
  std::unique_ptr<Watchdog> watchdog_;
  std::unique_ptr<grpc::Server> admin_server_;
  std::unique_ptr<PluginWatcher> watcher_;
  std::unique_ptr<HttpServer> metrics_server_;
  std::unique_ptr<HttpApi> http_api_;
  std::unique_ptr<HttpServer> http_server_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_DAEMON_H_
