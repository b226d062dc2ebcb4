// The service manager's readiness protocol (sd_notify(3)): READY=1 once
// classifiers are loaded and the server takes calls, RELOADING=1 around a
// SIGHUP reload, STOPPING=1 on shutdown, STATUS= lines and watchdog pings.
//
// Every function is a no-op when the daemon was not started with
// $NOTIFY_SOCKET (not under systemd, or Type= is not notify), so callers
// never check. Thread-safe.
#ifndef CLASSIFYD_DAEMON_SERVER_SYSTEMD_NOTIFY_H_
#define CLASSIFYD_DAEMON_SERVER_SYSTEMD_NOTIFY_H_

#include <chrono>
#include <optional>
#include <string>

namespace classifyd {

// READY=1 with a STATUS= line.
void NotifyReady(const std::string& status);
// RELOADING=1 with MONOTONIC_USEC= (systemd >= 253 requires it for
// Type=notify-reload; older versions ignore it) and a STATUS= line.
void NotifyReloading(const std::string& status);
// STOPPING=1 with a STATUS= line.
void NotifyStopping(const std::string& status);
// A STATUS= line alone.
void NotifyStatus(const std::string& status);
// WATCHDOG=1.
void NotifyWatchdog();

// The watchdog timeout the service manager expects pings within, from
// $WATCHDOG_USEC (and $WATCHDOG_PID, which must be this process); nullopt
// when no watchdog is set up for this process.
std::optional<std::chrono::microseconds> WatchdogTimeout();

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_SYSTEMD_NOTIFY_H_
