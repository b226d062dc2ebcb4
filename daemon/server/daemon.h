// The classifyd process: owns the registry, the gRPC server and the
// signal loop, and tears them down in the right order.
#ifndef CLASSIFYD_DAEMON_SERVER_DAEMON_H_
#define CLASSIFYD_DAEMON_SERVER_DAEMON_H_

#include "server/options.h"

namespace classifyd {

// Runs the daemon until SIGTERM or SIGINT; returns the process exit code.
// REQUIRES: called from the main thread before any other thread exists
// (it blocks the handled signals for every thread it starts).
int RunDaemon(const DaemonOptions& options);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_DAEMON_H_
