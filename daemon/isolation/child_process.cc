#include "isolation/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace classifyd::isolation {
namespace {

// Descriptors the spawn moves to 3 and 4 are first copied above both, so
// that neither dup2() can overwrite the other's source.
constexpr int kAboveChildFds = 10;

absl::Status Errno(const std::string& what) {
  return absl::InternalError(what + ": " + strerror(errno));
}

absl::StatusOr<pid_t> SpawnHost(const std::string& host_path, int socket_fd,
                                int library_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&actions, socket_fd, 3);
  posix_spawn_file_actions_adddup2(&actions, library_fd, 4);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const std::string parent = std::to_string(getpid());
  std::vector<char*> argv = {const_cast<char*>(host_path.c_str()),
                             const_cast<char*>(kHostFlag),
                             const_cast<char*>(parent.c_str()), nullptr};
  pid_t pid = -1;
  const int err = posix_spawn(&pid, host_path.c_str(), &actions, &attr,
                              argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) {
    return absl::UnavailableError("cannot start the plugin host '" + host_path +
                                  "': " + strerror(err));
  }
  return pid;
}

}  // namespace

std::string DefaultHostPath() {
  std::error_code error;
  const std::filesystem::path self =
      std::filesystem::read_symlink("/proc/self/exe", error);
  return (self.parent_path() / "classifyd-plugin-host").string();
}

absl::StatusOr<ChildProcess> ChildProcess::Spawn(const std::string& host_path,
                                                 int library_fd) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return Errno("socketpair");
  }
  const int child_socket = fcntl(pair[1], F_DUPFD_CLOEXEC, kAboveChildFds);
  const int child_library = fcntl(library_fd, F_DUPFD_CLOEXEC, kAboveChildFds);
  close(pair[1]);
  absl::StatusOr<pid_t> pid = absl::InternalError("fcntl: no descriptor");
  if (child_socket >= 0 && child_library >= 0) {
    pid = SpawnHost(host_path, child_socket, child_library);
  }
  if (child_socket >= 0) close(child_socket);
  if (child_library >= 0) close(child_library);
  if (!pid.ok()) {
    close(pair[0]);
    return pid.status();
  }
  return ChildProcess(*pid, pair[0]);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      socket_(std::exchange(other.socket_, -1)),
      ending_(std::move(other.ending_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    KillAndReap();
    pid_ = std::exchange(other.pid_, -1);
    socket_ = std::exchange(other.socket_, -1);
    ending_ = std::move(other.ending_);
  }
  return *this;
}

ChildProcess::~ChildProcess() { KillAndReap(); }

void ChildProcess::CloseSocket() {
  if (socket_ >= 0) close(socket_);
  socket_ = -1;
}

std::string ChildProcess::KillAndReap() {
  CloseSocket();
  if (pid_ < 0) return ending_;
  // A child that is already exiting keeps the status it exits with.
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  ending_ = DescribeExit(status);
  return ending_;
}

std::string ChildProcess::Stop(std::chrono::milliseconds grace) {
  CloseSocket();
  if (pid_ < 0) return ending_;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      ending_ = DescribeExit(status);
      return ending_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  KillAndReap();
  ending_ = "did not exit within " + std::to_string(grace.count()) +
            " ms of being stopped and was killed";
  return ending_;
}

std::string DescribeExit(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    const int signal = WTERMSIG(wait_status);
    const char* name = sigdescr_np(signal);
    return "crashed (signal " + std::to_string(signal) +
           (name != nullptr ? std::string(", ") + name : std::string()) + ")";
  }
  if (WIFEXITED(wait_status)) {
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  }
  return "ended (wait status " + std::to_string(wait_status) + ")";
}

}  // namespace classifyd::isolation
