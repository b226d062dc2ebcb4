#include "isolation/sandbox.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace classifyd::isolation {
namespace {

// The first descriptor the child does not inherit on purpose (0-2 stdio,
// 3 the socket, 4 the plugin library).
constexpr unsigned kFirstForeignFd = 5;

// Directories a plugin's late library loads may need to read.
constexpr const char* kSystemDirs[] = {"/usr", "/lib", "/lib64"};

std::string Why(const char* what) {
  return std::string(what) + " failed: " + strerror(errno);
}

// Filesystem rights Landlock of ABI `abi` knows; all are denied but reads.
__u64 HandledAccess(int abi) {
  __u64 access = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
                 LANDLOCK_ACCESS_FS_REMOVE_DIR |
                 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                 LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
#ifdef LANDLOCK_ACCESS_FS_REFER
  if (abi >= 2) access |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
  if (abi >= 3) access |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
  return access;
}

// Lets the ruleset `ruleset` read under `dir`; a missing dir is skipped.
void AllowRead(int ruleset, const std::string& dir) {
  const int fd = open(dir.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) return;
  landlock_path_beneath_attr rule{};
  rule.allowed_access =
      LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
  rule.parent_fd = fd;
  syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
  close(fd);
}

// System calls a classify_batch() call may make; the rest fail EPERM.
constexpr int kAllowedCalls[] = {
    // I/O on descriptors the process already has.
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
    SCMP_SYS(pread64), SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(fstat),
    SCMP_SYS(newfstatat), SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(poll),
    SCMP_SYS(ppoll), SCMP_SYS(fcntl),
    // Memory.
    SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
    SCMP_SYS(mprotect), SCMP_SYS(madvise),
    // Threads and synchronisation (clone is limited to threads below).
    SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
    SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(gettid),
    SCMP_SYS(getpid), SCMP_SYS(set_tid_address),
    // Time.
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
    SCMP_SYS(gettimeofday), SCMP_SYS(getrandom),
    // Signals to itself (abort() raises SIGABRT with tgkill).
    SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack), SCMP_SYS(tgkill), SCMP_SYS(restart_syscall),
    SCMP_SYS(exit), SCMP_SYS(exit_group)};

}  // namespace

absl::Status EnterProcessLimits(pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    return absl::InternalError(Why("PR_SET_PDEATHSIG"));
  }
  // The daemon may have died before the line above: then nobody would.
  if (getppid() != parent) {
    return absl::FailedPreconditionError("the daemon is gone");
  }
  if (close_range(kFirstForeignFd, ~0U, 0) != 0) {
    return absl::InternalError(Why("close_range"));
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return absl::InternalError(Why("PR_SET_NO_NEW_PRIVS"));
  }
  return absl::OkStatus();
}

absl::Status RestrictFiles(const std::vector<std::string>& readable_dirs) {
  const long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0,
                           LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 1) {
    return absl::UnavailableError(
        "Landlock is not available on this kernel (" +
        std::string(strerror(errno)) +
        "): the plugin's file access is not restricted beyond the "
        "daemon's own");
  }
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = HandledAccess(static_cast<int>(abi));
  const int ruleset = static_cast<int>(
      syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0));
  if (ruleset < 0) {
    return absl::InternalError(Why("Landlock: creating the ruleset"));
  }
  for (const std::string& dir : readable_dirs) AllowRead(ruleset, dir);
  for (const char* dir : kSystemDirs) AllowRead(ruleset, dir);
  const long applied = syscall(SYS_landlock_restrict_self, ruleset, 0);
  const absl::Status status =
      applied != 0 ? absl::InternalError(Why("Landlock: restricting"))
                   : absl::OkStatus();
  close(ruleset);
  return status;
}

absl::Status RestrictSystemCalls() {
  scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (filter == nullptr) {
    return absl::InternalError("seccomp: cannot build the filter");
  }
  int rc = 0;
  for (int call : kAllowedCalls) {
    if (rc == 0) rc = seccomp_rule_add(filter, SCMP_ACT_ALLOW, call, 0);
  }
  // Threads only: clone() with CLONE_THREAD; no clone3 (glibc falls back
  // to clone when it fails with ENOSYS), so no new processes.
  if (rc == 0) {
    rc = seccomp_rule_add(
        filter, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
        SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
  }
  if (rc == 0) {
    rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  }
  if (rc == 0) rc = seccomp_load(filter);
  seccomp_release(filter);
  if (rc != 0) {
    return absl::InternalError(
        "seccomp: the system call filter was not applied (" +
        std::string(strerror(-rc)) + ")");
  }
  return absl::OkStatus();
}

}  // namespace classifyd::isolation
