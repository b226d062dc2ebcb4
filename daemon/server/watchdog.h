// Pings the service manager's watchdog (WATCHDOG=1) every half timeout, but
// only while a liveness check passes: a stuck reload or a wedged server
// stops the pings, and systemd restarts the service (WatchdogSec=).
//
// Thread-safe. The destructor stops the pings and joins the thread.
#ifndef CLASSIFYD_DAEMON_SERVER_WATCHDOG_H_
#define CLASSIFYD_DAEMON_SERVER_WATCHDOG_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"

namespace classifyd {

class Watchdog {
 public:
  // OK when the daemon is alive, else the problem that withholds the
  // ping. May block for up to `budget`.
  using Check = std::function<absl::Status(std::chrono::milliseconds budget)>;

  // Starts pinging every `timeout / 2` while `check` passes.
  Watchdog(std::chrono::microseconds timeout, Check check);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  void Run();

  const std::chrono::milliseconds interval_;
  const Check check_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_WATCHDOG_H_
