// Daemon settings: command-line flags, and the same settings from a TOML
// config file (`--config`). Every setting is both a flag and a config key:
// flag `--plugin-dir` is key `plugin_dir`. Flags win over the file.
#ifndef CLASSIFYD_DAEMON_SERVER_OPTIONS_H_
#define CLASSIFYD_DAEMON_SERVER_OPTIONS_H_

#include <absl/status/statusor.h>

#include <map>
#include <string>
#include <vector>

#include "invoker/invoker_options.h"
#include "server/tls_credentials.h"
#include "service/limits.h"

namespace classifyd {

struct DaemonOptions {
  std::string listen = "127.0.0.1:50051";
  std::string config_file;
  std::string plugin_dir;      // Default: set by ParseOptions.
  std::string plugin_lib_dir;  // Default: set by ParseOptions.
  // Where the daemon's private directory is made (server/runtime_dir.h).
  // Default: $RUNTIME_DIRECTORY (used as it is), $TMPDIR, /tmp.
  std::string runtime_dir;
  std::string log_level = "info";
  std::string log_format = "auto";  // auto, text, json, journal.
  std::string port_file;
  // HOST:PORT of the Prometheus /metrics HTTP listener; empty: off.
  std::string metrics_listen;
  std::string metrics_port_file;
  // HOST:PORT of the HTTP/JSON API and web console listener; empty: off.
  std::string http_listen;
  std::string http_port_file;
  // Threads of the HTTP listener (one per connection being served).
  int http_threads = 16;
  // Seconds one read of an HTTP request may wait for the client.
  double http_read_timeout_seconds = 10;
  // Unix socket of the admin listener (PluginAdmin); "none" disables it.
  // Empty (the default): admin.sock in the daemon's private directory,
  // known once Daemon::Start has made it.
  std::string admin_socket;
  bool watch = true;         // Reload on file changes (inotify).
  bool strict_modes = true;  // Refuse world-writable/foreign plugin files.
  int reload_debounce_ms = 300;
  double drain_timeout_seconds = 10;
  // Under systemd's watchdog: a reload running longer than this counts as
  // stuck and stops the pings.
  double reload_stuck_timeout_seconds = 120;
  size_t max_message_bytes = 64 << 20;
  ServiceLimits limits;
  InvokerOptions invoker;  // Plugin call workers and queues.
  TlsSettings tls;  // Off unless --tls-cert and --tls-key are given.

  // How these options came about, so SIGHUP can parse them again with the
  // config file's new contents: the arguments ParseOptions() got, and the
  // value of every setting as text by config key ("" when not given).
  std::vector<std::string> command_line;
  std::map<std::string, std::string> settings;

  // Set by --help and --version: the text to print to stdout before
  // exiting with status 0, instead of running.
  std::string print_and_exit;
};

// Parses `args` (args[0] is the program name) and the config file it names.
// INVALID_ARGUMENT, with the text to print (exit status 2), for a mistake
// in either.
absl::StatusOr<DaemonOptions> ParseOptions(
    const std::vector<std::string>& args);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_OPTIONS_H_
