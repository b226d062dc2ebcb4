// classifyd entry point: parse settings, set up logging, run the daemon.
#include <absl/synchronization/mutex.h>
#include <malloc.h>
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
  const absl::StatusOr<classifyd::DaemonOptions> parsed =
      classifyd::ParseOptions(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(parsed.status().message()).c_str());
    return 2;
  }
  const classifyd::DaemonOptions& options = *parsed;
  if (!options.print_and_exit.empty()) {
    std::printf("%s\n", options.print_and_exit.c_str());
    return 0;
  }

  // gRPC's Abseil mutexes run a deadlock detector on every lock in
  // Debian's build: about 1% of the CPU per streamed document, for a check
  // meant for debugging.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Large documents (up to the 1 MiB default limit) come and go with their
  // requests. glibc raises its mmap threshold each time such a block is
  // freed, after which they are carved from per-thread heaps that keep the
  // memory: a fixed threshold hands each one back when its request ends.
  mallopt(M_MMAP_THRESHOLD, 256 << 10);

  classifyd::SetUpLogging(spdlog::level::from_str(options.log_level),
                          classifyd::ResolveLogFormat(options.log_format));

  // From here on, an exit the daemon did not choose (a plugin's exit(0))
  // ends with a failure status.
  classifyd::InstallExitGuard();
  absl::StatusOr<std::unique_ptr<classifyd::Daemon>> daemon =
      classifyd::Daemon::Start(options);
  if (!daemon.ok()) {
    spdlog::critical("{}", std::string(daemon.status().message()));
    classifyd::AllowExit();
    return absl::IsInvalidArgument(daemon.status()) ? 2 : 1;
  }
  (*daemon)->Serve();
  const classifyd::DaemonExit exit = (*daemon)->Drain();
  // A quick exit leaves the parts a plugin may still be running in alone.
  if (!exit.quick) daemon->reset();
  classifyd::AllowExit();
  if (exit.quick) {
    spdlog::default_logger()->flush();
    std::quick_exit(exit.status);
  }
  return exit.status;
}
