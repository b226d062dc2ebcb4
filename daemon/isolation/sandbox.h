// The sandbox an isolated classifier's child process (classifyd-plugin-host)
// runs in. Applied by the child to itself, in three steps, because loading
// a plugin needs more than classifying with it does:
//
//  1. At start (EnterProcessLimits): die with the daemon (PR_SET_PDEATHSIG,
//     SIGKILL; and exit at once if the daemon is already gone), close every
//     inherited descriptor but 0-4, and set PR_SET_NO_NEW_PRIVS (no setuid
//     or file-capability gain through exec, and the precondition of steps 2
//     and 3 for an unprivileged process).
//  2. After the plugin library is loaded, before create() (RestrictFiles):
//     Landlock, where the kernel has it. The process may then only read
//     (files and directory listings) under the directories it is given
//     (the model's) and the system library directories (/usr, /lib,
//     /lib64, for libraries a plugin loads late); it may write, create,
//     remove or rename nothing anywhere, and execute nothing.
//  3. After create() and list_labels(), before the first document
//     (RestrictSystemCalls): a seccomp filter (libseccomp). Only system
//     calls for memory, threads, time, signals to itself and I/O on
//     descriptors it already has are allowed; every other call fails with
//     EPERM (no open, socket, connect, exec, fork, ptrace, kill of other
//     processes, mount, ...). A plugin therefore opens every file it needs
//     in create().
//
// A step the kernel cannot apply is skipped with a notice (returned, and
// logged by the daemon); the others still apply. Every process of the
// child stays in the daemon's cgroup (nothing here moves it), so systemd's
// limits and KillMode cover it.
//
// Not thread-safe: call from the child's only thread, in order.
#ifndef CLASSIFYD_DAEMON_ISOLATION_SANDBOX_H_
#define CLASSIFYD_DAEMON_ISOLATION_SANDBOX_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace classifyd::isolation {

// Step 1. `parent` is the daemon's pid. Fails only if the process cannot
// be made safe to continue (then the child must exit).
absl::Status EnterProcessLimits(pid_t parent);

// Step 2. Not OK when the restriction could not be applied; the child
// still serves (it is no worse off than the daemon) and reports the
// message as a sandbox notice. UNAVAILABLE when the kernel has no
// Landlock.
absl::Status RestrictFiles(const std::vector<std::string>& readable_dirs);

// Step 3. Not OK, with a notice to report, when the filter was not
// applied.
absl::Status RestrictSystemCalls();

}  // namespace classifyd::isolation

#endif  // CLASSIFYD_DAEMON_ISOLATION_SANDBOX_H_
