#include "server/watchdog.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "server/systemd_notify.h"

namespace classifyd {

Watchdog::Watchdog(std::chrono::microseconds timeout, Check check)
    : interval_(std::max(
          std::chrono::milliseconds(1),
          std::chrono::duration_cast<std::chrono::milliseconds>(timeout / 2))),
      check_(std::move(check)),
      thread_([this] { Run(); }) {
  spdlog::info("watchdog: pinging every {} ms while healthy",
               interval_.count());
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Watchdog::Run() {
  std::string last_problem;
  for (;;) {
    const auto start = std::chrono::steady_clock::now();
    // The check gets the whole interval: a server that cannot answer a
    // probe within it would miss the ping anyway.
    const absl::Status status = check_(interval_);
    const std::string problem(status.message());
    if (status.ok()) {
      NotifyWatchdog();
      if (!last_problem.empty()) {
        spdlog::info("watchdog: healthy again, pings resumed");
        NotifyStatus("serving");
      }
    } else if (problem != last_problem) {
      spdlog::error("watchdog: withholding pings: {}", problem);
      NotifyStatus("unhealthy: " + problem);
    }
    last_problem = problem;
    std::unique_lock lock(mu_);
    if (wake_.wait_until(lock, start + interval_,
                         [this] { return stopping_; })) {
      return;
    }
  }
}

}  // namespace classifyd
