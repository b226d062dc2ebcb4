#include "server/options.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "config/host_port.h"
#include "server/runtime_dir.h"
#include "server/toml_settings.h"

// The install layout of the configured prefix (daemon/CMakeLists.txt).
#ifndef CLASSIFYD_DEFAULT_PLUGIN_DIR
#define CLASSIFYD_DEFAULT_PLUGIN_DIR "/etc/classifyd/plugins.d"
#endif
#ifndef CLASSIFYD_DEFAULT_PLUGIN_LIB_DIR
#define CLASSIFYD_DEFAULT_PLUGIN_LIB_DIR "/usr/local/lib/classifyd/plugins"
#endif
#ifndef CLASSIFYD_VERSION
#define CLASSIFYD_VERSION "unknown"
#endif

namespace classifyd {
namespace {

std::string DefaultRuntimeDir() {
  if (std::string systemd = SystemdRuntimeDirectory(); !systemd.empty()) {
    return systemd;
  }
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir != nullptr && tmpdir[0] != '\0') return tmpdir;
  return "/tmp";
}

// CLI11 validator: "" for a HOST:PORT, else what is wrong with it.
std::string HostPortProblem(const std::string& value) {
  absl::StatusOr<HostPort> parsed = ParseHostPort(value);
  return parsed.ok() ? std::string() : std::string(parsed.status().message());
}

// The daemon's addresses, directories, logging and reloading.
void DefineBasics(CLI::App& app, DaemonOptions& o) {
  app.add_option("--listen", o.listen,
                 "Address of the public gRPC listener, HOST:PORT (port 0 "
                 "picks a free port)")
      ->capture_default_str();
  app.set_config("--config", "",
                 "TOML file with any of these settings; key `plugin_dir` "
                 "sets --plugin-dir. Flags override the file");
  app.config_formatter(std::make_shared<TomlSettings>(&app));
  app.add_option("--plugin-dir", o.plugin_dir,
                 "Directory of classifier manifests (<name>.toml)")
      ->capture_default_str();
  app.add_option("--plugin-lib-dir", o.plugin_lib_dir,
                 "Where a manifest's bare `plugin = \"name\"` is looked up "
                 "as <name>.so")
      ->capture_default_str();
  app.add_option("--runtime-dir", o.runtime_dir,
                 "Where the daemon makes its private directory "
                 "(classifyd-<uid>-XXXXXX: pid file, default admin socket, "
                 "private copies of plugin libraries, so it must allow "
                 "exec); default $RUNTIME_DIRECTORY (used as it is), "
                 "$TMPDIR or /tmp");
  app.add_option("--log-level", o.log_level,
                 "trace, debug (logs every request), info, warn, error or off")
      ->check(CLI::IsMember(
          {"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  app.add_option("--log-format", o.log_format,
                 "text (timestamped lines), json (one JSON object a line), "
                 "journal (structured systemd journal entries) or auto: "
                 "journal when stderr is the journal, else text")
      ->check(CLI::IsMember({"auto", "text", "json", "journal"}))
      ->capture_default_str();
  app.add_option("--admin-socket", o.admin_socket,
                 "Unix socket for the PluginAdmin service (load, unload, "
                 "reload), created mode 0600 in a directory only the daemon's "
                 "user may enter; 'none' disables it. Default: admin.sock "
                 "in the daemon's private directory (see --runtime-dir)");
  app.add_option("--watch", o.watch,
                 "Reload classifiers when their manifests, libraries or "
                 "models change on disk (inotify)")
      ->capture_default_str();
  app.add_option("--strict-modes", o.strict_modes,
                 "Refuse plugin directories, manifests and libraries that "
                 "are writable by every user or owned by another user")
      ->capture_default_str();
  app.add_option("--reload-debounce-ms", o.reload_debounce_ms,
                 "Quiet time after a file change before reloading")
      ->check(CLI::Range(10, 10000))
      ->capture_default_str();
  app.add_option("--port-file", o.port_file,
                 "Write the bound port number to this file once listening");
}

// The optional HTTP listeners: Prometheus metrics, the JSON API.
void DefineHttpListeners(CLI::App& app, DaemonOptions& o) {
  app.add_option("--metrics-listen", o.metrics_listen,
                 "Serve Prometheus metrics at http://HOST:PORT/metrics (port "
                 "0 picks a free port). Off unless set; binds exactly the "
                 "address given, so a non-loopback address exposes them to "
                 "the network")
      ->check(HostPortProblem);
  app.add_option("--metrics-port-file", o.metrics_port_file,
                 "Write the bound metrics port to this file (before "
                 "--port-file is written)");
  app.add_option("--http-listen", o.http_listen,
                 "Serve the HTTP/JSON API and the web console at "
                 "http://HOST:PORT/ (https with --tls-cert; port 0 picks a "
                 "free port). Off unless set; binds exactly the address "
                 "given")
      ->check(HostPortProblem);
  app.add_option("--http-port-file", o.http_port_file,
                 "Write the bound HTTP port to this file (before --port-file "
                 "is written)");
  app.add_option("--http-threads", o.http_threads,
                 "Threads serving HTTP connections; a connection holds one "
                 "while its request is read and answered")
      ->check(CLI::Range(2, 1024))
      ->capture_default_str();
  app.add_option("--http-read-timeout", o.http_read_timeout_seconds,
                 "Seconds one read of an HTTP request (a header line, a piece "
                 "of the body) may wait for the client before the connection "
                 "is closed")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
}

// Time and size limits of the daemon and of requests.
void DefineLimits(CLI::App& app, DaemonOptions& o) {
  app.add_option("--drain-timeout", o.drain_timeout_seconds,
                 "Seconds SIGTERM waits for in-flight calls and streams "
                 "before cancelling them")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--reload-stuck-timeout", o.reload_stuck_timeout_seconds,
                 "Under systemd's watchdog (WatchdogSec=): seconds one "
                 "plugin load or reload may run before it counts as stuck "
                 "and watchdog pings stop")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  app.add_option("--max-message-bytes", o.max_message_bytes,
                 "Largest gRPC message accepted; larger ones fail with "
                 "RESOURCE_EXHAUSTED")
      ->check(CLI::Range(size_t{1024}, size_t{1} << 30))
      ->capture_default_str();
  app.add_option("--max-document-bytes", o.limits.max_document_bytes,
                 "Largest document text accepted, in bytes")
      ->check(CLI::Range(size_t{1}, size_t{1} << 30))
      ->capture_default_str();
  app.add_option("--max-batch-documents", o.limits.max_batch_documents,
                 "Most documents in one ClassifyBatch call")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--stream-window", o.limits.stream_window,
                 "Most unanswered documents the server reads ahead on one "
                 "stream")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--stream-window-bytes", o.limits.stream_window_bytes,
                 "Most bytes of unanswered requests the server reads ahead "
                 "on one stream (at least one document is always read)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 30))
      ->capture_default_str();
  app.add_option("--default-top-k", o.limits.default_top_k,
                 "Labels returned when a request leaves top_k at 0")
      ->check(CLI::Range(1u, 100u))
      ->capture_default_str();
  app.add_option("--default-deadline-ms", o.limits.default_deadline_ms,
                 "Classify and ClassifyBatch calls that set no deadline fail "
                 "with DEADLINE_EXCEEDED when classifying takes longer; 0 "
                 "disables")
      ->check(CLI::Range(0u, 3'600'000u))
      ->capture_default_str();
  app.add_option("--default-min-score", o.limits.default_min_score,
                 "Minimum label score when a request sets none")
      ->check(CLI::Range(0.0f, 1.0f))
      ->capture_default_str();
}

// How plugin calls are run.
void DefinePluginCalls(CLI::App& app, DaemonOptions& o) {
  app.add_option("--plugin-timeout-ms", o.limits.plugin_timeout_ms,
                 "How long a request waits for one classifier call when its "
                 "manifest sets no timeout_ms; past it the classifier is "
                 "reported DEADLINE_EXCEEDED and skipped until the call "
                 "returns. 0: no limit")
      ->check(CLI::Range(0, 3'600'000))
      ->capture_default_str();
  app.add_option("--plugin-workers", o.invoker.workers_per_classifier,
                 "Most plugin calls of one classifier that run at the same "
                 "time (each on a worker thread of its own)")
      ->check(CLI::Range(size_t{1}, size_t{256}))
      ->capture_default_str();
  app.add_option("--plugin-batch-scheduling", o.invoker.batch_scheduling,
                 "Run plugin calls on threads under SCHED_BATCH, so that a "
                 "worker woken for a call waits for the request thread that "
                 "woke it instead of preempting it; false: the default "
                 "policy")
      ->capture_default_str();
  app.add_option("--plugin-queue", o.invoker.max_queued_calls,
                 "Most plugin calls of one classifier waiting for a worker; "
                 "beyond it the classifier answers UNAVAILABLE")
      ->check(CLI::Range(size_t{1}, size_t{100'000}))
      ->capture_default_str();
}

// TLS of the listeners, and --version.
void DefineTls(CLI::App& app, DaemonOptions& o) {
  app.add_option("--tls-cert", o.tls.cert_file,
                 "PEM certificate chain for TLS on --listen (with "
                 "--tls-key); re-read when it changes");
  app.add_option("--tls-key", o.tls.key_file, "PEM private key of --tls-cert");
  app.add_option("--tls-client-ca", o.tls.client_ca_file,
                 "PEM CA certificates that sign the client certificates "
                 "accepted for mutual TLS");
  app.add_option("--tls-client-auth", o.tls.client_auth,
                 "Client certificates: none, request (verified if sent) or "
                 "require; empty (the default): require with "
                 "--tls-client-ca, else none")
      // "" is accepted so the config file can spell out the default.
      ->check(CLI::IsMember({"", "none", "request", "require"}));
  app.add_option("--tls-reload-interval", o.tls.reload_interval_seconds,
                 "Seconds between checks of the TLS files for changes")
      ->check(CLI::Range(1u, 86400u))
      ->capture_default_str();
  app.set_version_flag("--version",
                       std::string("classifyd ") + CLASSIFYD_VERSION);
}

void Define(CLI::App& app, DaemonOptions& o) {
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  DefineBasics(app, o);
  DefineHttpListeners(app, o);
  DefineLimits(app, o);
  DefinePluginCalls(app, o);
  DefineTls(app, o);
}

}  // namespace

namespace {

// The settings file given with --config, or "" when there is none.
std::string ConfigFilePath(const CLI::App& app) {
  const CLI::Option* config = app.get_config_ptr();
  if (config == nullptr || config->count() == 0) return "";
  return config->as<std::string>();
}

// " (flags and config 'FILE')" when the settings came from a file too, so
// an error says where to look.
std::string ConfigFileNote(const std::string& config_file) {
  if (config_file.empty()) return "";
  return " (flags and config '" + config_file + "')";
}

// Every setting's value as text, by config key, into `options->settings`.
void RecordSettings(const CLI::App& app, DaemonOptions* options) {
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_lnames().empty()) continue;
    std::string key = option->get_lnames().front();
    std::replace(key.begin(), key.end(), '-', '_');
    std::string value;
    for (const std::string& r : option->reduced_results()) value += r;
    options->settings[key] = value;
  }
}

}  // namespace

absl::StatusOr<DaemonOptions> ParseOptions(
    const std::vector<std::string>& args) {
  DaemonOptions options;
  options.plugin_dir = CLASSIFYD_DEFAULT_PLUGIN_DIR;
  options.plugin_lib_dir = CLASSIFYD_DEFAULT_PLUGIN_LIB_DIR;
  CLI::App app(
      "classifyd: a content-classification daemon. Serves classifyd.v1."
      "Classifier over gRPC with labels from the classifier plugins declared "
      "by the manifests in --plugin-dir.",
      "classifyd");
  Define(app, options);

  try {
    // CLI11 takes arguments in reverse order, without the program name.
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    if (!reversed.empty()) reversed.pop_back();
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    options.print_and_exit = app.help();
    return options;
  } catch (const CLI::CallForVersion& e) {
    options.print_and_exit = e.what();
    return options;
  } catch (const CLI::ConfigError& e) {  // Thrown by TomlSettings.
    return absl::InvalidArgumentError("config file '" + ConfigFilePath(app) +
                                      "': " + e.what());
  } catch (const CLI::FileError& e) {
    return absl::InvalidArgumentError(std::string("config file ") + e.what());
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(
        std::string(e.what()) + ConfigFileNote(ConfigFilePath(app)) +
        "\nRun with --help for more information.");
  }
  options.config_file = ConfigFilePath(app);
  options.command_line = args;
  RecordSettings(app, &options);
  if (options.runtime_dir.empty()) options.runtime_dir = DefaultRuntimeDir();
  return options;
}

}  // namespace classifyd
