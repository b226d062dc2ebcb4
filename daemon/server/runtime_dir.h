// The daemon's private runtime directory: its pid file, the admin socket
// (unless --admin-socket names another place) and the private copies of
// plugin libraries (plugins/).
//
// Under systemd the service's own $RUNTIME_DIRECTORY is used as it is.
// Anywhere else (/tmp, $TMPDIR, an explicit --runtime-dir) every daemon
// makes a directory of its own, `classifyd-<uid>-XXXXXX` (mkdtemp: created
// mode 0700 under a name nobody had, so another user cannot pre-empt it),
// and removes it when it exits. A daemon that crashed or was killed cannot
// remove its directory; the next daemon of the same user removes it at
// start-up, after checking that the pid file inside names no live process.
//
// classifyctl finds the admin socket by the same rule
// (clients/classifyctl/connection.cc): $RUNTIME_DIRECTORY/admin.sock, else
// the newest live `classifyd-<uid>-*` in the runtime directory.
//
// Thread-compatible: made and removed by the main thread.
#ifndef CLASSIFYD_DAEMON_SERVER_RUNTIME_DIR_H_
#define CLASSIFYD_DAEMON_SERVER_RUNTIME_DIR_H_

#include <absl/status/statusor.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace classifyd {

// Names inside a runtime directory.
inline constexpr char kPidFileName[] = "classifyd.pid";
inline constexpr char kAdminSocketName[] = "admin.sock";
inline constexpr char kPluginCopiesName[] = "plugins";

// The first directory of systemd's $RUNTIME_DIRECTORY (a colon-separated
// list when the unit names several); empty when unset.
std::string SystemdRuntimeDirectory();

class RuntimeDir {
 public:
  // Removes the leftovers of crashed daemons in `base` (the runtime_dir
  // setting; RemoveStaleRuntimeDirs), then sets up the daemon's directory:
  // `base` itself when it is `systemd_dir` (see SystemdRuntimeDirectory)
  // and is private (owned by the daemon's user, closed to others, no other
  // live daemon's pid file in it), else a new directory in `base`. Writes
  // the pid file and creates plugins/.
  // Returns FAILED_PRECONDITION, saying why, when nothing can be made.
  static absl::StatusOr<std::unique_ptr<RuntimeDir>> Create(
      const std::string& base, const std::string& systemd_dir);
  ~RuntimeDir();  // Remove().
  RuntimeDir(const RuntimeDir&) = delete;
  RuntimeDir& operator=(const RuntimeDir&) = delete;

  // Removes what this daemon made: its whole directory, or in systemd's
  // directory (which systemd owns) the pid file and plugins/. Idempotent.
  void Remove();

  const std::string& path() const { return path_; }
  std::string admin_socket() const { return path_ + "/" + kAdminSocketName; }
  std::string plugin_copies() const { return path_ + "/" + kPluginCopiesName; }

 private:
  RuntimeDir(std::string path, bool owned)
      : path_(std::move(path)), owned_(owned) {}

  std::string path_;
  bool owned_;
  bool removed_ = false;
};

// Removes, from `base`, the directories named `classifyd-<uid>-XXXXXX`
// that belong to the daemon's user and hold a pid file naming a process
// that is gone (matched by pid and start time, so a reused pid is not
// mistaken for the daemon). Directories without a readable pid file are
// left alone. Returns how many were removed; each is logged.
int RemoveStaleRuntimeDirs(const std::string& base);

// The process's start time (clock ticks since boot, /proc/<pid>/stat), or
// nullopt if there is no such process (or /proc does not show it).
std::optional<unsigned long long> ProcessStartTime(pid_t pid);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_RUNTIME_DIR_H_
