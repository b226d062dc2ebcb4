// Refuses to load code or configuration from files other users could have
// changed, like sshd's StrictModes: a plugin directory, manifest or plugin
// library must not be writable by every user, and must be owned by root or
// by the user the daemon runs as.
#ifndef CLASSIFYD_DAEMON_PLUGIN_TRUSTED_PATH_H_
#define CLASSIFYD_DAEMON_PLUGIN_TRUSTED_PATH_H_

#include <string>

namespace classifyd {

// Returns an empty string if `path` passes, or why it is refused. `what`
// names the file in the message ("plugin library", "manifest", ...).
std::string CheckTrustedPath(const std::string& path, const std::string& what);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_PLUGIN_TRUSTED_PATH_H_
