// Starting and ending an isolated classifier's child process
// (classifyd-plugin-host), from the daemon's side.
//
// The child gets the stream socket on fd 3 and the plugin library (an open,
// read-only descriptor) on fd 4; nothing else of the daemon's is inherited
// (every daemon descriptor is close-on-exec, and the host closes any other
// it finds). Signal mask and dispositions are reset to the defaults.
//
// Thread-safe: posix_spawn() is safe in a threaded process, and a
// ChildProcess is owned by one caller.
#ifndef CLASSIFYD_DAEMON_ISOLATION_CHILD_PROCESS_H_
#define CLASSIFYD_DAEMON_ISOLATION_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <string>

#include "absl/status/statusor.h"

namespace classifyd::isolation {

// The argument that tells classifyd-plugin-host it was started by a daemon.
inline constexpr char kHostFlag[] = "--classifyd-plugin-host";

// classifyd-plugin-host in the directory of the running executable.
std::string DefaultHostPath();

// A running child. Destruction kills it (SIGKILL) and reaps it.
class ChildProcess {
 public:
  // Starts `host_path` with `library_fd` as its fd 4. Returns the child or
  // why it could not be started.
  static absl::StatusOr<ChildProcess> Spawn(const std::string& host_path,
                                            int library_fd);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // The daemon's end of the socket (non-blocking use through frame_io.h).
  int socket() const { return socket_; }

  // Kills the child if it still runs (SIGKILL), reaps it, closes the socket
  // and says how it ended, e.g. "crashed (signal 11, Segmentation fault)"
  // or "exited with status 0". A child that already ended keeps its own
  // status. Later calls return the same text.
  std::string KillAndReap();
  // Closes the socket (a healthy child then destroys its instance and
  // exits), waits up to `grace` for it to exit, then kills it. Says how it
  // ended, as KillAndReap() does, or "did not exit within 1000 ms of being
  // stopped and was killed".
  std::string Stop(std::chrono::milliseconds grace);

 private:
  ChildProcess(pid_t pid, int socket) : pid_(pid), socket_(socket) {}
  void CloseSocket();

  pid_t pid_ = -1;
  int socket_ = -1;
  std::string ending_;
};

// "crashed (signal 11, Segmentation fault)", "exited with status 3", ...
// for a waitpid() status.
std::string DescribeExit(int wait_status);

}  // namespace classifyd::isolation

#endif  // CLASSIFYD_DAEMON_ISOLATION_CHILD_PROCESS_H_
