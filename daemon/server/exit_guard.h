// Makes a process exit that the daemon did not ask for a failure.
//
// Plugins run in the daemon's process. One that calls exit(0) (or
// quick_exit(0)) would end it with status 0, which a service manager takes
// for a clean stop: systemd's Restart=on-failure would not restart it. The
// guard's handler, run by exit() before the process ends, logs the exit as
// an error and ends the process with status 70 (EX_SOFTWARE) instead,
// unless the daemon's own shutdown path has allowed the exit.
//
// What it cannot catch: _exit() and _Exit() skip every handler (the status
// stays what the plugin chose); handlers that libraries registered after
// the guard (a plugin's static destructors) run before it.
//
// Thread-safe.
#ifndef CLASSIFYD_DAEMON_SERVER_EXIT_GUARD_H_
#define CLASSIFYD_DAEMON_SERVER_EXIT_GUARD_H_

namespace classifyd {

// The status of an exit the daemon did not initiate (sysexits.h EX_SOFTWARE).
inline constexpr int kUnexpectedExitStatus = 70;

// Registers the handler with atexit() and at_quick_exit(). Only this
// process is guarded, not children it forks. REQUIRES: called once, after
// logging is set up (the handler logs through it).
void InstallExitGuard();

// Called by the daemon when it decides to exit: from here on exit() keeps
// its status.
void AllowExit();

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_EXIT_GUARD_H_
