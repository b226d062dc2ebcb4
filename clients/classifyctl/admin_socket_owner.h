// Whose admin socket is it? The daemon writes, beside its admin socket,
// `<socket>.listen` naming its public listener (daemon/server/
// admin_socket.h). classifyctl uses it so that `reload`, `load` and
// `unload` reach the daemon that --addr names, not another daemon of the
// same user: by default it picks that daemon's socket, and it refuses a
// socket whose daemon listens elsewhere when --addr was given.
#ifndef CLASSIFYD_CLIENTS_CLASSIFYCTL_ADMIN_SOCKET_OWNER_H_
#define CLASSIFYD_CLIENTS_CLASSIFYCTL_ADMIN_SOCKET_OWNER_H_

#include <string>

namespace classifyctl {

// The public address ("HOST:PORT") of the daemon serving admin socket
// `socket`; empty when it says none (a daemon without the file).
std::string AdminSocketOwner(const std::string& socket);

// True when a client dialling `addr` (classifyctl's --addr) reaches a
// daemon listening on `owner`: same port, and the same host, or a daemon
// on a wildcard address (0.0.0.0, [::]) and a local client, or both on
// loopback. Addresses that are not HOST:PORT (a gRPC scheme such as
// dns:///) cannot be compared and count as the same.
bool SameListener(const std::string& owner, const std::string& addr);

}  // namespace classifyctl

#endif  // CLASSIFYD_CLIENTS_CLASSIFYCTL_ADMIN_SOCKET_OWNER_H_
