#include "server/config_reload.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <variant>

namespace classifyd {
namespace {

// Read per request (ServiceLimits), per log line, or at shutdown.
constexpr std::array<std::string_view, 9> kReloadable = {
    "log_level",           "max_document_bytes", "max_batch_documents",
    "stream_window",       "stream_window_bytes", "default_top_k",
    "default_min_score",   "default_deadline_ms", "drain_timeout",
};

}  // namespace

bool IsReloadableSetting(const std::string& key) {
  return std::find(kReloadable.begin(), kReloadable.end(), key) !=
         kReloadable.end();
}

SettingsReload MergeSettings(const DaemonOptions& running,
                             const DaemonOptions& fresh) {
  SettingsReload reload;
  reload.options = running;
  for (const auto& [key, value] : fresh.settings) {
    auto it = running.settings.find(key);
    if (it != running.settings.end() && it->second == value) continue;
    if (IsReloadableSetting(key)) {
      reload.applied.push_back(key);
      reload.options.settings[key] = value;
    } else {
      reload.restart_needed.push_back(key);
    }
  }
  // Whole values, not per key: every reloadable field comes from `fresh`.
  reload.options.log_level = fresh.log_level;
  reload.options.drain_timeout_seconds = fresh.drain_timeout_seconds;
  reload.options.limits.max_document_bytes = fresh.limits.max_document_bytes;
  reload.options.limits.max_batch_documents = fresh.limits.max_batch_documents;
  reload.options.limits.stream_window = fresh.limits.stream_window;
  reload.options.limits.stream_window_bytes = fresh.limits.stream_window_bytes;
  reload.options.limits.default_top_k = fresh.limits.default_top_k;
  reload.options.limits.default_min_score = fresh.limits.default_min_score;
  reload.options.limits.default_deadline_ms = fresh.limits.default_deadline_ms;
  return reload;
}

absl::StatusOr<SettingsReload> ReloadSettings(const DaemonOptions& running) {
  absl::StatusOr<DaemonOptions> parsed = ParseOptions(running.command_line);
  if (!parsed.ok()) return parsed.status();
  return MergeSettings(running, *parsed);
}

bool ApplySettingsReload(DaemonOptions* running, ClassifierService* service) {
  absl::StatusOr<SettingsReload> reloaded = ReloadSettings(*running);
  if (!reloaded.ok()) {
    std::string why(reloaded.status().message());
    std::replace(why.begin(), why.end(), '\n', ' ');
    spdlog::error("SIGHUP: config not reloaded, the running settings stay: {}",
                  why);
    return false;
  }
  SettingsReload& reload = *reloaded;
  for (const std::string& key : reload.restart_needed) {
    spdlog::warn(
        "SIGHUP: setting '{}' changed; it takes effect only after a "
        "restart",
        key);
  }
  *running = std::move(reload.options);
  spdlog::default_logger()->set_level(
      spdlog::level::from_str(running->log_level));
  service->SetLimits(running->limits);
  if (!reload.applied.empty()) {
    spdlog::info("SIGHUP: applied new {}", fmt::join(reload.applied, ", "));
  }
  return true;
}

}  // namespace classifyd
