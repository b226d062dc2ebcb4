// Shuts a gRPC server down without waiting on connections that carry no
// call.
//
// grpc::Server::Shutdown(deadline) refuses new calls, lets the calls in
// flight finish until `deadline`, and then also waits, for every open
// connection, until its client acknowledges the GOAWAY (gRPC 1.51 sends a
// ping with it and closes the connection on the answer). A client that is
// not reading its channel answers late or never: gRPC's own clients look
// at an idle channel every 5 s, and a stalled or stopped peer not at all,
// so each stop took up to 5 s, or the whole drain timeout, with nothing
// left to serve.
//
// ShutdownServer() therefore watches the service's own count of calls not
// yet done while Shutdown() runs. Once it has read 0 for `settle` (long
// enough for a call that gRPC accepted just before the shutdown to reach
// its handler and be counted), it closes the connections that are left
// (grpc_server_cancel_all_calls), which ends the shutdown at once.
//
// Thread-safety: call once per server, from one thread; `calls_in_flight`
// is called from a helper thread meanwhile.
#ifndef CLASSIFYD_DAEMON_SERVER_SERVER_SHUTDOWN_H_
#define CLASSIFYD_DAEMON_SERVER_SERVER_SHUTDOWN_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>

namespace classifyd {

// Returns once the server has shut down (it may still be Wait()ed for).
// REQUIRES: `calls_in_flight` counts every call that is to finish, from its
// handler until its reactor's OnDone(). Calls it does not count are
// cancelled with the idle connections; in the daemon (the public server
// and the admin socket's) these are gRPC's health and reflection
// services': Check answers at once, and Watch and a reflection stream
// never end by themselves (the deadline would cancel them too).
void ShutdownServer(
    grpc::Server* server, std::chrono::system_clock::time_point deadline,
    const std::function<int()>& calls_in_flight,
    std::chrono::milliseconds settle = std::chrono::milliseconds(200));

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_SERVER_SHUTDOWN_H_
