// The classifyd process: owns the registry, the gRPC server and the
// signal loop, and tears them down in the right order.
#ifndef CLASSIFYD_DAEMON_SERVER_DAEMON_H_
#define CLASSIFYD_DAEMON_SERVER_DAEMON_H_

#include "server/options.h"

namespace classifyd {

// The exit status when plugin calls were still stuck at shutdown: every
// request was answered, but a plugin misbehaved, which a service manager
// should see.
inline constexpr int kAbandonedCallsExitStatus = 3;

struct DaemonExit {
  int status = 0;  // The process exit status.
  // Plugin calls are still running: leave with std::quick_exit(), since
  // static destructors (a plugin's own among them) must not run under
  // them (see invoker/invoker.h).
  bool quick = false;
};

// Runs the daemon until SIGTERM or SIGINT; returns how the process should
// end. REQUIRES: called from the main thread before any other thread
// exists (it blocks the handled signals for every thread it starts).
DaemonExit RunDaemon(const DaemonOptions& options);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_DAEMON_H_
