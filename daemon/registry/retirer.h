// Runs the destruction of retired classifiers on a thread of its own.
//
// A classifier is destroyed when the last request holding it lets go, which
// may be on a gRPC thread in the middle of a response. Its destroy() (and the
// dlclose after it) may be slow, so that thread only queues it here.
//
// Thread-safe. REQUIRES: outlives every object queued to it; the destructor
// finishes the queue, then joins.
#ifndef CLASSIFYD_DAEMON_REGISTRY_RETIRER_H_
#define CLASSIFYD_DAEMON_REGISTRY_RETIRER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace classifyd {

class Retirer {
 public:
  // With `trim`, returns freed memory to the system after each job
  // (malloc_trim), so that reloading large models does not grow RSS.
  explicit Retirer(bool trim = true);
  ~Retirer();
  Retirer(const Retirer&) = delete;
  Retirer& operator=(const Retirer&) = delete;

  // Queues `work` (typically a delete); never blocks on it.
  void Retire(std::function<void()> work);

  // Blocks until everything queued so far has run. For shutdown and tests.
  void Drain();

  // Number of jobs that have finished, for tests and metrics.
  size_t completed() const;

 private:
  void Run();

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::function<void()>> queue_;
  const bool trim_;
  bool busy_ = false;
  bool stopping_ = false;
  size_t completed_ = 0;
  std::thread thread_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_REGISTRY_RETIRER_H_
