// Starts the real classifyd binary on an ephemeral loopback port for
// integration tests, and talks to it.
#ifndef CLASSIFYD_TESTS_TESTING_DAEMON_PROCESS_H_
#define CLASSIFYD_TESTS_TESTING_DAEMON_PROCESS_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "classifyd/v1/classifier.pb.h"
#include "testing/temp_dir.h"

namespace classifyd::testing {

// Paths of build outputs and sources, fixed at configure time.
std::string DaemonBinary();
std::string PluginLibDir();      // Bundled plugins (fasttext.so).
std::string TestPluginDir();     // Purpose-built plugins (keyword.so, ...).
std::string SourceDir();
std::string BundledModelPath();  // models/news-topics/model.ftz

// A manifest for the keyword test plugin with `rules` and extra option
// lines (TOML, one per line).
std::string KeywordManifest(const std::string& rules,
                            const std::string& extra_options = "",
                            double weight = 1.0);

class DaemonProcess {
 public:
  // Starts classifyd with --plugin-dir `plugin_dir`, test and bundled
  // plugin libraries, a free loopback port, and `extra_args`. Waits until
  // it listens (and, if `wait_serving`, until health says SERVING).
  // Returns null (with a gtest failure) if it does not come up.
  static std::unique_ptr<DaemonProcess> Start(
      const std::string& plugin_dir,
      const std::vector<std::string>& extra_args = {},
      bool wait_serving = true);

  ~DaemonProcess();  // SIGKILLs the daemon if it still runs.

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  std::string address() const;
  // Path of the admin Unix socket (PluginAdmin).
  std::string admin_socket() const { return work_.path() + "/admin/admin.sock"; }
  std::shared_ptr<grpc::Channel> NewAdminChannel() const;
  // PluginAdmin.ListPlugins: every classifier with its file paths and full
  // load errors (the public ListPlugins shows neither). Empty, with a gtest
  // failure, if the call fails.
  v1::ListPluginsResponse AdminListPlugins() const;
  std::shared_ptr<grpc::Channel> NewChannel() const;

  // Sends `signal`.
  void Signal(int signal) const;
  // Waits for exit; the exit status as from waitpid, or nullopt on timeout.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout);
  // The daemon's log so far (stderr).
  std::string Log() const;
  // Polls the log until it contains `text`.
  bool WaitForLog(const std::string& text,
                  std::chrono::milliseconds timeout) const;
  // Polls grpc.health.v1 Check(`service`) until it returns `serving`.
  bool WaitForHealth(bool serving, std::chrono::milliseconds timeout,
                     const std::string& service = "") const;

 private:
  DaemonProcess() = default;

  TempDir work_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int port_ = 0;
  std::string log_path_;
};

}  // namespace classifyd::testing

#endif  // CLASSIFYD_TESTS_TESTING_DAEMON_PROCESS_H_
