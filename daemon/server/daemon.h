// The classifyd process: owns the registry, the gRPC server and the
// signal loop, and tears them down in the right order.
#ifndef CLASSIFYD_DAEMON_SERVER_DAEMON_H_
#define CLASSIFYD_DAEMON_SERVER_DAEMON_H_

#include "server/options.h"

namespace classifyd {

// Runs the daemon until SIGTERM or SIGINT; returns the process exit code.
// If plugin calls that timed out are still running once every request is
// answered, it ends the process itself (status 0) instead of returning:
// nothing may be torn down under them (see plugin/guarded_classify.h).
// REQUIRES: called from the main thread before any other thread exists
// (it blocks the handled signals for every thread it starts).
int RunDaemon(const DaemonOptions& options);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_DAEMON_H_
