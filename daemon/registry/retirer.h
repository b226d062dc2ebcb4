// The plugin control thread: where plugin instances are created and
// destroyed, one at a time, so that plugin.h's promise that create() and
// destroy() never run concurrently holds.
//
// A classifier is destroyed when the last request holding it lets go, which
// may be on a gRPC thread in the middle of a response. Its destroy() (and the
// dlclose after it) may be slow, so that thread only queues it here
// (Retire). Loads run their library open and create() here too (RunNow),
// in order with the destructions queued before them.
//
// Thread-safe. REQUIRES: outlives every object queued to it; the destructor
// finishes the queue, then joins.
#ifndef CLASSIFYD_DAEMON_REGISTRY_RETIRER_H_
#define CLASSIFYD_DAEMON_REGISTRY_RETIRER_H_

#include <absl/base/thread_annotations.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <thread>

#include "sync/mutex.h"

namespace classifyd {

class Retirer {
 public:
  // With `trim`, returns freed memory to the system after each retirement
  // (malloc_trim), so that reloading large models does not grow RSS.
  explicit Retirer(bool trim = true);
  ~Retirer();
  Retirer(const Retirer&) = delete;
  Retirer& operator=(const Retirer&) = delete;

  // Queues `work` (typically a delete); never blocks on it.
  void Retire(std::function<void()> work);

  // Runs `work` on the control thread after everything queued so far, and
  // returns when it has run. From the control thread itself, runs it at
  // once. REQUIRES: `work` does not wait for other queued work.
  void RunNow(const std::function<void()>& work);

  // Blocks until everything queued so far has run. For shutdown and tests.
  void Drain();

  // Number of retirements that have finished, for tests and metrics.
  size_t completed() const;

 private:
  struct Job {
    std::function<void()> work;
    bool retirement = true;  // Counted, and followed by a trim.
  };
  void Run();
  void Enqueue(Job job);

  mutable Mutex mu_;
  std::condition_variable_any wake_;
  std::condition_variable_any idle_;
  std::deque<Job> queue_ ABSL_GUARDED_BY(mu_);
  const bool trim_;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  size_t completed_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_REGISTRY_RETIRER_H_
