// classifyd entry point: parse settings, set up logging, run the daemon.
#include <absl/synchronization/mutex.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/daemon.h"
#include "server/exit_guard.h"
#include "server/log_setup.h"
#include "server/options.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  auto parsed = classifyd::ParseOptions(args);
  if (auto* exit = std::get_if<classifyd::ParseExit>(&parsed)) {
    std::fputs(exit->message.c_str(), exit->code == 0 ? stdout : stderr);
    std::fputc('\n', exit->code == 0 ? stdout : stderr);
    return exit->code;
  }
  const auto& options = std::get<classifyd::DaemonOptions>(parsed);

  // gRPC's Abseil mutexes run a deadlock detector on every lock in
  // Debian's build: about 1% of the CPU per streamed document, for a check
  // meant for debugging.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  classifyd::SetUpLogging(spdlog::level::from_str(options.log_level),
                          classifyd::ResolveLogFormat(options.log_format));

  // From here on, an exit the daemon did not choose (a plugin's exit(0))
  // ends with a failure status.
  classifyd::InstallExitGuard();
  const classifyd::DaemonExit exit = classifyd::RunDaemon(options);
  classifyd::AllowExit();
  if (exit.quick) {
    spdlog::default_logger()->flush();
    std::quick_exit(exit.status);
  }
  return exit.status;
}
