// Refuses to load code, configuration or data from files other users could
// have changed, like sshd's StrictModes: a plugin directory, manifest,
// plugin library, model or calibration file, and the directory that holds
// it, must be owned by root or by the user the daemon runs as (its
// effective uid) and must not be writable by group or others.
//
// Files a plugin reads (models, rules) must also be regular files of a
// bounded size, checked without blocking: a FIFO, a device such as
// /dev/zero or a /proc entry is refused before the plugin opens it. That
// part holds even with strict modes off, since it keeps a reload from
// hanging or exhausting memory rather than guarding against other users.
//
// Stateless; thread-safe.
#ifndef CLASSIFYD_DAEMON_PLUGIN_TRUSTED_PATH_H_
#define CLASSIFYD_DAEMON_PLUGIN_TRUSTED_PATH_H_

#include <absl/status/status.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace classifyd {

// What the checks look at, as stat(2) and statfs(2) report it; separate
// from the system calls so the rules can be tested with any owner or type.
struct FileFacts {
  mode_t mode = 0;           // st_mode: type and permission bits.
  uid_t owner = 0;           // st_uid.
  int64_t size = 0;          // st_size.
  bool pseudo_file = false;  // On /proc or /sys (contents made on read).
};

// The strict-modes rule for `facts` of `path`: owned by root or by
// `daemon_uid`, not writable by group or others. Returns OK if it passes,
// else FAILED_PRECONDITION saying why it is refused; `what` names the file
// ("model file", ...).
absl::Status CheckOwnerAndMode(const FileFacts& facts, uid_t daemon_uid,
                               const std::string& path,
                               const std::string& what);

// The rule for a file a plugin reads: a regular file, not on /proc or
// /sys, of at most `max_bytes`. OK or why it is refused.
absl::Status CheckDataFileFacts(const FileFacts& facts, int64_t max_bytes,
                                const std::string& path,
                                const std::string& what);

// CheckOwnerAndMode for the file or directory at `path` (followed if a
// symlink), as the daemon's effective user.
absl::Status CheckTrustedPath(const std::string& path, const std::string& what);

// Checks the file a plugin will read at `path`: CheckDataFileFacts on the
// file it names (symlinks resolved), and, when `strict_modes`,
// CheckOwnerAndMode on that file, on the directory that holds it and on
// the directory that holds `path` itself (where a symlink would be
// replaced). Never blocks: the file is examined with lstat and opened with
// O_NONBLOCK | O_NOFOLLOW only once it is known to be a regular file, and
// fstat of that descriptor is what is checked. OK or why it is refused.
absl::Status CheckTrustedDataFile(const std::string& path,
                                  const std::string& what, int64_t max_bytes,
                                  bool strict_modes);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_PLUGIN_TRUSTED_PATH_H_
