#include "plugin/trusted_path.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

namespace classifyd {
namespace {

std::string Refusing(const std::string& what, const std::string& path) {
  return "refusing " + what + " '" + path + "': ";
}

absl::Status CannotCheck(const std::string& what, const std::string& path) {
  return absl::FailedPreconditionError("cannot check " + what + " '" + path +
                                       "': " + strerror(errno));
}

const char* TypeName(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

bool IsPseudoFileSystem(const struct statfs& fs) {
  return fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC;
}

FileFacts FactsOf(const struct stat& st, bool pseudo_file) {
  return {st.st_mode, st.st_uid, static_cast<int64_t>(st.st_size),
          pseudo_file};
}

// lstat + statfs of `path`, which must not be a symlink: opens nothing.
absl::Status LookWithoutOpening(const std::string& path,
                                const std::string& what, FileFacts* facts) {
  struct stat st;
  struct statfs fs;
  if (lstat(path.c_str(), &st) != 0 || statfs(path.c_str(), &fs) != 0) {
    return CannotCheck(what, path);
  }
  *facts = FactsOf(st, IsPseudoFileSystem(fs));
  return absl::OkStatus();
}

// Opens `path` (a regular file a moment ago) without blocking or following
// a symlink, and describes what was opened: if the name was swapped for a
// FIFO since, the open still returns at once and fstat shows it.
absl::Status LookThroughDescriptor(const std::string& path,
                                   const std::string& what, FileFacts* facts) {
  const int fd =
      open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC |
                             O_NOCTTY);
  if (fd < 0) return CannotCheck(what, path);
  struct stat st;
  struct statfs fs;
  const bool ok = fstat(fd, &st) == 0 && fstatfs(fd, &fs) == 0;
  const int saved_errno = errno;
  close(fd);
  if (!ok) {
    errno = saved_errno;
    return CannotCheck(what, path);
  }
  *facts = FactsOf(st, IsPseudoFileSystem(fs));
  return absl::OkStatus();
}

absl::Status ResolvedPath(const std::string& path, const std::string& what,
                          std::string* resolved) {
  std::unique_ptr<char, decltype(&free)> real(realpath(path.c_str(), nullptr),
                                               &free);
  if (real == nullptr) return CannotCheck(what, path);
  *resolved = real.get();
  return absl::OkStatus();
}

std::string ParentOf(const std::string& path) {
  return std::filesystem::path(path).parent_path().string();
}

}  // namespace

absl::Status CheckOwnerAndMode(const FileFacts& facts, uid_t daemon_uid,
                               const std::string& path,
                               const std::string& what) {
  if (facts.owner != 0 && facts.owner != daemon_uid) {
    return absl::FailedPreconditionError(
        Refusing(what, path) + "it is owned by uid " +
        std::to_string(facts.owner) +
        ", not by root or the daemon's user (uid " +
        std::to_string(daemon_uid) + ") (disable with --strict-modes=false)");
  }
  if ((facts.mode & S_IWOTH) != 0) {
    return absl::FailedPreconditionError(
        Refusing(what, path) +
        "it is writable by every user (fix with chmod o-w, or disable "
        "the check with --strict-modes=false)");
  }
  if ((facts.mode & S_IWGRP) != 0) {
    return absl::FailedPreconditionError(
        Refusing(what, path) +
        "it is writable by its group (fix with chmod g-w, or disable "
        "the check with --strict-modes=false)");
  }
  return absl::OkStatus();
}

absl::Status CheckDataFileFacts(const FileFacts& facts, int64_t max_bytes,
                                const std::string& path,
                                const std::string& what) {
  if (facts.pseudo_file) {
    return absl::FailedPreconditionError(
        Refusing(what, path) + "it is on /proc or /sys, not a file on disk");
  }
  if (!S_ISREG(facts.mode)) {
    return absl::FailedPreconditionError(Refusing(what, path) + "it is " +
                                         TypeName(facts.mode) +
                                         ", not a regular file");
  }
  if (facts.size > max_bytes) {
    return absl::FailedPreconditionError(
        Refusing(what, path) + "it is " + std::to_string(facts.size) +
        " bytes, over the manifest's limit of " + std::to_string(max_bytes) +
        " bytes (`max_model_bytes`)");
  }
  return absl::OkStatus();
}

absl::Status CheckTrustedPath(const std::string& path,
                              const std::string& what) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return CannotCheck(what, path);
  return CheckOwnerAndMode(FactsOf(st, false), geteuid(), path, what);
}

absl::Status CheckTrustedDataFile(const std::string& path,
                                  const std::string& what, int64_t max_bytes,
                                  bool strict_modes) {
  std::string real;
  FileFacts facts;
  absl::Status status = ResolvedPath(path, what, &real);
  if (status.ok()) status = LookWithoutOpening(real, what, &facts);
  if (status.ok()) status = CheckDataFileFacts(facts, max_bytes, path, what);
  if (status.ok()) status = LookThroughDescriptor(real, what, &facts);
  if (status.ok()) status = CheckDataFileFacts(facts, max_bytes, path, what);
  if (!status.ok() || !strict_modes) return status;
  status = CheckOwnerAndMode(facts, geteuid(), path, what);
  if (status.ok()) {
    status = CheckTrustedPath(ParentOf(real), "directory of the " + what);
  }
  if (status.ok() && ParentOf(real) != ParentOf(path)) {
    status = CheckTrustedPath(ParentOf(path), "directory of the " + what);
  }
  return status;
}

}  // namespace classifyd
