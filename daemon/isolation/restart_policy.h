// When an isolated classifier's child process may be started again after it
// died, and which documents must not be sent to it again.
//
// Backoff: the first restart waits `initial`; each further death of a child
// that had not yet proved itself doubles the wait, up to `max`. A child
// proves itself by answering `stable_calls` calls or running for `stable`:
// its death starts the count again. So a plugin that crashes now and then
// (on rare documents) is back within `initial` each time, while one that
// dies at once or on every call is started less and less often.
//
// Poison documents: a document is known by a 64-bit hash of its text. Each
// death counts against every document that was in flight; a document with
// kPoisonCrashes deaths is answered with an error instead of being sent
// again, so one bad document cannot keep a classifier in a crash loop. Only
// the most recent kRememberedDocuments hashes are kept (memory is bounded).
// Innocent documents that shared a batch with a poison one are counted too;
// it takes the same document in two crashed batches to refuse it.
//
// Time is passed in, so the rules are tested without clocks. Not
// thread-safe: the owner (isolation/isolated_process.h) locks.
#ifndef CLASSIFYD_DAEMON_ISOLATION_RESTART_POLICY_H_
#define CLASSIFYD_DAEMON_ISOLATION_RESTART_POLICY_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <span>
#include <string_view>
#include <unordered_map>

namespace classifyd::isolation {

using Clock = std::chrono::steady_clock;

inline constexpr int kPoisonCrashes = 2;
inline constexpr size_t kRememberedDocuments = 4096;

class RestartBackoff {
 public:
  explicit RestartBackoff(
      std::chrono::milliseconds initial = std::chrono::milliseconds(100),
      std::chrono::milliseconds max = std::chrono::seconds(30),
      std::chrono::milliseconds stable = std::chrono::seconds(60),
      int stable_calls = 100);

  // The child started at `now`.
  void Started(Clock::time_point now);
  // The child answered a call.
  void Answered() { ++answered_; }
  // The child died at `now`; returns how long to wait before the restart.
  std::chrono::milliseconds Died(Clock::time_point now);
  // Deaths since a child last proved itself.
  int consecutive_deaths() const { return deaths_; }

 private:
  std::chrono::milliseconds initial_, max_, stable_;
  int stable_calls_;
  Clock::time_point started_{};
  int answered_ = 0;  // By the current child.
  int deaths_ = 0;
};

// The hash documents are known by.
uint64_t DocumentKey(std::string_view text);

class PoisonTracker {
 public:
  // Counts a death against each of `keys` (each key once per call).
  void Died(std::span<const uint64_t> keys);
  // True if `key` was in flight in kPoisonCrashes deaths or more.
  bool IsPoison(uint64_t key) const;
  int Deaths(uint64_t key) const;

 private:
  std::unordered_map<uint64_t, int> deaths_;
  std::deque<uint64_t> order_;  // Oldest first, for eviction.
};

}  // namespace classifyd::isolation

#endif  // CLASSIFYD_DAEMON_ISOLATION_RESTART_POLICY_H_
