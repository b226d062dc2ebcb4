// SIGHUP re-reads the config file. Settings read per request or per log
// line take effect at once; the others (listeners, directories, sockets)
// would need the daemon rebuilt, so a change to them is reported and
// waits for a restart.
#ifndef CLASSIFYD_DAEMON_SERVER_CONFIG_RELOAD_H_
#define CLASSIFYD_DAEMON_SERVER_CONFIG_RELOAD_H_

#include <absl/status/statusor.h>

#include <string>
#include <vector>

#include "server/options.h"
#include "service/classifier_service.h"

namespace classifyd {

// Whether a SIGHUP applies a change to config key `key` (e.g. "log_level").
bool IsReloadableSetting(const std::string& key);

struct SettingsReload {
  // The options to run with from now on: `running` with the reloadable
  // settings of the new parse.
  DaemonOptions options;
  // Reloadable settings whose value changed (now applied).
  std::vector<std::string> applied;
  // Settings whose value changed but need a restart (not applied).
  std::vector<std::string> restart_needed;
};

// Parses `running.command_line` again, i.e. the same flags over the config
// file's current contents, and merges what may change while running.
// INVALID_ARGUMENT, saying why, when the config cannot be parsed: nothing
// is to be applied.
absl::StatusOr<SettingsReload> ReloadSettings(const DaemonOptions& running);

// The merge step of ReloadSettings, for a given new parse.
SettingsReload MergeSettings(const DaemonOptions& running,
                             const DaemonOptions& fresh);

// ReloadSettings, then applies the result to the log level and `service`'s
// limits, updates `*running` and logs what changed, what waits for a
// restart, or why the file was not taken. False when it was not taken.
bool ApplySettingsReload(DaemonOptions* running, ClassifierService* service);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_CONFIG_RELOAD_H_
