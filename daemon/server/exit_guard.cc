#include "server/exit_guard.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace classifyd {
namespace {

std::atomic<bool> exit_allowed{false};
std::atomic<pid_t> guarded_pid{0};

void OnExit() {
  if (exit_allowed.load() || getpid() != guarded_pid.load()) return;
  spdlog::critical(
      "the process is exiting, but classifyd did not stop it: a plugin (or "
      "a library) called exit(); exiting with status {} so that the service "
      "manager sees a failure",
      kUnexpectedExitStatus);
  spdlog::default_logger()->flush();
  _exit(kUnexpectedExitStatus);
}

}  // namespace

void InstallExitGuard() {
  guarded_pid.store(getpid());
  std::atexit(OnExit);
  std::at_quick_exit(OnExit);
}

void AllowExit() { exit_allowed.store(true); }

}  // namespace classifyd
