#include "server/systemd_notify.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdint>
#include <cstring>

namespace classifyd {
namespace {

// A STATUS= value is one line.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

void Send(const std::string& message) {
  // unset_environment=0: the watchdog thread and later reloads need
  // $NOTIFY_SOCKET too.
  const int r = sd_notify(0, message.c_str());
  if (r < 0) {
    spdlog::warn("cannot notify the service manager: {}", std::strerror(-r));
  }
}

}  // namespace

void NotifyReady(const std::string& status) {
  Send("READY=1\nSTATUS=" + OneLine(status));
}

void NotifyReloading(const std::string& status) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t usec = static_cast<uint64_t>(now.tv_sec) * 1'000'000 +
                        static_cast<uint64_t>(now.tv_nsec) / 1000;
  Send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) +
       "\nSTATUS=" + OneLine(status));
}

void NotifyStopping(const std::string& status) {
  Send("STOPPING=1\nSTATUS=" + OneLine(status));
}

void NotifyStatus(const std::string& status) {
  Send("STATUS=" + OneLine(status));
}

void NotifyWatchdog() { Send("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> WatchdogTimeout() {
  uint64_t usec = 0;
  // sd_watchdog_enabled checks $WATCHDOG_PID against getpid().
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

}  // namespace classifyd
