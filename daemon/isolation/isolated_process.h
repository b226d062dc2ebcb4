// The daemon's side of a classifier that runs in its own process
// (manifest: isolation = "process"): one child (classifyd-plugin-host) with
// the plugin loaded, the calls sent to it, and its supervision.
//
// Calls go to the child one at a time, over a socketpair
// (isolation/frame_io.h, isolation/wire.proto). When the child dies in a
// call (a crash, abort, exit()), sends something that is not a valid frame,
// or does not answer within the call's time limit (it is then killed), only
// the documents of that call fail, each with a status that says so, and
// the child is started again after a backoff (isolation/restart_policy.h).
// Until it is back, calls fail at once with UNAVAILABLE. A document that
// was in flight in two deaths is not sent again: it gets INTERNAL.
//
// Thread-safe. Destruction (after the classifier's last call) stops the
// restarts, closes the socket (the child destroys its instance and exits)
// and waits up to a second before killing it.
#ifndef CLASSIFYD_DAEMON_ISOLATION_ISOLATED_PROCESS_H_
#define CLASSIFYD_DAEMON_ISOLATION_ISOLATED_PROCESS_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "isolation/child_process.h"
#include "isolation/frame_io.h"
#include "isolation/restart_policy.h"
#include "plugin/manifest.h"
#include "wire.pb.h"

namespace classifyd::isolation {

struct IsolationSettings {
  std::string host_path;  // classifyd-plugin-host.
  // Each call's limit; 0: none (a hung child then holds its classifier).
  std::chrono::milliseconds call_timeout{0};
  // Limit of start-up: load, create() and list_labels().
  std::chrono::milliseconds start_timeout{std::chrono::seconds(60)};
};

// What the child said about one call.
struct IsolatedAnswer {
  // Per text: OK if the child answered it (see `reply`), else why not.
  std::vector<absl::Status> refused;
  // The texts (indices) sent, in the order sent; the reply's document
  // indices refer to positions in this list.
  std::vector<size_t> sent;
  ClassifyReply reply;
};

class IsolatedProcess {
 public:
  // Starts the child for `manifest`, whose library is open at `library_fd`
  // (taken over; closed with the process), and waits for it to be ready.
  // Returns it, or why the plugin could not be loaded.
  static absl::StatusOr<std::unique_ptr<IsolatedProcess>> Start(
      const Manifest& manifest, int library_fd, IsolationSettings settings);
  ~IsolatedProcess();
  IsolatedProcess(const IsolatedProcess&) = delete;
  IsolatedProcess& operator=(const IsolatedProcess&) = delete;

  // What the first child reported: plugin name, version, labels.
  const Ready& ready() const { return ready_; }

  // Sends `texts` (non-empty) to the child. REQUIRES: answer is empty.
  void Classify(std::span<const std::string_view> texts, uint32_t top_k,
                float min_score, IsolatedAnswer* answer) const;

  // The current child's pid, or -1 while it is being restarted; for tests.
  pid_t child_pid() const;

 private:
  IsolatedProcess(const Manifest& manifest, int library_fd,
                  IsolationSettings settings);
  absl::StatusOr<ChildProcess> StartChild(Ready* ready);
  absl::Status Exchange(int socket, const HostMessage& request,
                        ChildMessage* answer, const Deadline& deadline) const;
  // Fills answer->refused for poison documents (or every document, when
  // there is no child) and answer->sent and `keys` for the others. Returns
  // the child's socket, or -1 when there is no child.
  int ChooseDocuments(std::span<const std::string_view> texts,
                      IsolatedAnswer* answer,
                      std::vector<uint64_t>* keys) const;
  // Kills the child after a call that failed with `why`; counts the death
  // against `keys` and schedules the restart. Returns how the child ended,
  // to follow "its process", e.g. "crashed (signal 11, ...)".
  std::string ChildFailed(std::span<const uint64_t> keys,
                          const absl::Status& why) const;
  // The restarter thread: starts the first child (reporting to `first`),
  // then each after a death, until destruction; then stops the last one.
  void RestartLoop(std::promise<absl::Status> first);

  const Manifest manifest_;
  const int library_fd_;
  const IsolationSettings settings_;
  Init init_;
  Ready ready_;

  // One call at a time on the socket; timed, so a call queued behind a
  // hung one gives up at its own limit.
  mutable std::timed_mutex call_mu_;
  mutable std::mutex mu_;  // Guards the below.
  mutable std::condition_variable restart_cv_;
  mutable std::optional<ChildProcess> child_;
  mutable std::string last_death_;  // How the last child ended.
  mutable Clock::time_point restart_at_{};
  mutable RestartBackoff backoff_;
  mutable PoisonTracker poison_;
  bool stopping_ = false;
  pid_t starting_pid_ = -1;  // A child being started.
  std::thread restarter_;
};

}  // namespace classifyd::isolation

#endif  // CLASSIFYD_DAEMON_ISOLATION_ISOLATED_PROCESS_H_
