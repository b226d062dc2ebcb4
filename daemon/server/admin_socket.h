// Prepares the directory of the admin Unix socket. Loading a plugin is code
// execution, so the socket lives in a directory only the daemon's user may
// enter, and the socket itself is created mode 0600.
#ifndef CLASSIFYD_DAEMON_SERVER_ADMIN_SOCKET_H_
#define CLASSIFYD_DAEMON_SERVER_ADMIN_SOCKET_H_

#include <string>

namespace classifyd {

// Creates the socket's directory (mode 0700) if missing, and checks that it
// is owned by the daemon's user and closed to everyone else. Returns an
// empty string, or why the socket cannot be used.
std::string PrepareAdminSocketDir(const std::string& socket_path);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_ADMIN_SOCKET_H_
