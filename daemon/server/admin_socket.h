// Prepares the directory of the admin Unix socket. Loading a plugin is code
// execution, so the socket lives in a directory only the daemon's user may
// enter, and the socket itself is created mode 0600.
#ifndef CLASSIFYD_DAEMON_SERVER_ADMIN_SOCKET_H_
#define CLASSIFYD_DAEMON_SERVER_ADMIN_SOCKET_H_

#include <absl/status/status.h>

#include <string>

namespace classifyd {

// Creates the socket's directory (mode 0700) if missing, and checks that it
// is owned by the daemon's user and closed to everyone else. Returns OK, or
// FAILED_PRECONDITION saying why the socket cannot be used.
absl::Status PrepareAdminSocketDir(const std::string& socket_path);

// The file beside an admin socket, `<socket>.listen`, that names the public
// gRPC listener of the daemon serving the socket: "HOST:PORT" with the
// bound port. classifyctl reads it to pick, and to check, the admin socket
// of the daemon its --addr reaches (clients/classifyctl/connection.cc).
std::string AdminSocketOwnerFile(const std::string& socket_path);

// Writes AdminSocketOwnerFile: `listen` (HOST:PORT as configured; port 0
// allowed) with `bound_port`. Returns OK, or UNAVAILABLE saying why not.
absl::Status WriteAdminSocketOwner(const std::string& socket_path,
                                   const std::string& listen, int bound_port);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_ADMIN_SOCKET_H_
