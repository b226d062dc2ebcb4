#include "plugin/guarded_classify.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

namespace classifyd {
namespace {

std::atomic<int> abandoned_calls{0};

// SetStuckCallsListener's listener; the mutex also serialises its calls.
std::mutex listener_mu;
std::function<void()> stuck_calls_listener;

void StuckCallsChanged() {
  std::lock_guard lock(listener_mu);
  if (stuck_calls_listener) stuck_calls_listener();
}

// Threads for guarded calls. Grows when every thread is busy (or stuck);
// a thread idle for 30 s exits. Never destroyed: at exit a worker may
// still be stuck inside a plugin, and nothing may wait for it.
class CallPool {
 public:
  static CallPool& Get() {
    static CallPool* const pool = new CallPool();
    return *pool;
  }

  // Runs `task` on a worker; false if no thread could be started for it.
  bool Submit(std::function<void()> task) {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(task));
    // Idle threads that were woken but have not taken a task yet still
    // count as idle, so compare with the whole queue.
    if (idle_ >= queue_.size()) {
      wake_.notify_one();
      return true;
    }
    try {
      std::thread([this] { Work(); }).detach();
    } catch (const std::system_error& e) {
      queue_.pop_back();
      spdlog::error("cannot start a thread for a guarded plugin call: {}",
                    e.what());
      return false;
    }
    return true;
  }

 private:
  void Work() {
    std::unique_lock lock(mu_);
    for (;;) {
      ++idle_;
      const bool got = wake_.wait_for(lock, std::chrono::seconds(30),
                                      [&] { return !queue_.empty(); });
      --idle_;
      if (!got) return;
      std::function<void()> task = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      task();
      task = nullptr;  // Drops the call's references off the lock.
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  size_t idle_ = 0;
};

// One guarded call, shared by the waiting request and the worker.
struct Call {
  // Set before the hand-off; read only by the worker until it finishes.
  std::vector<std::string> texts;  // Owned: the request may be gone.
  uint32_t top_k = 0;
  float min_score = 0;
  std::chrono::steady_clock::time_point start;

  std::mutex mu;  // Guards the below.
  std::condition_variable done_cv;
  // The worker's reference, released by the worker when the call ends.
  std::shared_ptr<const Classifier> classifier;
  std::vector<DocumentOutcome> outcomes;
  bool done = false;
  bool abandoned = false;  // The request stopped waiting.
};

void FailAll(size_t count, classifyd_status code, const std::string& message,
             std::vector<DocumentOutcome>* outcomes) {
  outcomes->assign(count, DocumentOutcome{});
  for (DocumentOutcome& o : *outcomes) {
    o.code = code;
    o.message = message;
  }
}

void RunCall(Call& call, const Classifier& classifier) {
  std::vector<std::string_view> views(call.texts.begin(), call.texts.end());
  std::vector<DocumentOutcome> outcomes;
  classifier.ClassifyBatch(views, call.top_k, call.min_score, &outcomes);

  std::shared_ptr<const Classifier> reference;
  {
    std::lock_guard lock(call.mu);
    call.done = true;
    reference = std::move(call.classifier);
    if (!call.abandoned) {
      // The request still holds the classifier (REQUIRES of
      // ClassifyWithTimeout) and cannot return before it sees `done`, so
      // this is never the last reference.
      reference.reset();
      call.outcomes = std::move(outcomes);
      call.done_cv.notify_one();
      return;
    }
  }
  // Abandoned: the request counted this call as stuck and went on.
  classifier.call_health().stuck_calls.fetch_sub(1);
  StuckCallsChanged();
  spdlog::warn(
      "classifier {} (generation {}): a call that timed out returned after "
      "{} ms; back in service",
      classifier.name(), classifier.generation(),
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - call.start)
          .count());
  // Possibly the last reference, if a reload retired the classifier
  // meanwhile: its destruction is queued to the Retirer, which shutdown
  // keeps alive while abandoned_calls is not 0.
  reference.reset();
  abandoned_calls.fetch_sub(1);
}

}  // namespace

GuardedCall ClassifyWithTimeout(
    const std::shared_ptr<const Classifier>& classifier,
    std::span<const std::string_view> texts, uint32_t top_k, float min_score,
    std::chrono::milliseconds timeout, std::vector<DocumentOutcome>* outcomes) {
  CallHealth& health = classifier->call_health();
  // Not atomic with the hand-off below: calls that start together may all
  // get stuck. That is bounded by the requests in flight, and each is
  // counted.
  if (health.stuck_calls.load() > 0) {
    FailAll(texts.size(), CLASSIFYD_UNAVAILABLE,
            "classifier '" + classifier->name() +
                "' is skipped: an earlier call ran past its time limit and "
                "has not returned",
            outcomes);
    return GuardedCall::kSkipped;
  }
  auto call = std::make_shared<Call>();
  call->texts.assign(texts.begin(), texts.end());
  call->top_k = top_k;
  call->min_score = min_score;
  call->start = std::chrono::steady_clock::now();
  call->classifier = classifier;
  // The worker reaches the classifier through call->classifier until it
  // lets go of it; the raw pointer is only for the worker's own use.
  const Classifier* raw = classifier.get();
  if (!CallPool::Get().Submit([call, raw] { RunCall(*call, *raw); })) {
    FailAll(texts.size(), CLASSIFYD_RESOURCE_EXHAUSTED,
            "classifier '" + classifier->name() +
                "' not called: no thread for a guarded call",
            outcomes);
    return GuardedCall::kNoThread;
  }

  std::unique_lock lock(call->mu);
  if (call->done_cv.wait_for(lock, timeout, [&] { return call->done; })) {
    *outcomes = std::move(call->outcomes);
    return GuardedCall::kAnswered;
  }
  // Under the lock, so the worker sees either `abandoned` with the counts
  // already raised, or nothing and hands over its outcomes.
  call->abandoned = true;
  health.stuck_calls.fetch_add(1);
  health.timed_out_calls.fetch_add(1);
  abandoned_calls.fetch_add(1);
  lock.unlock();
  StuckCallsChanged();
  spdlog::error(
      "classifier {} (generation {}): classify_batch() of {} document(s) did "
      "not return within {} ms; skipping the classifier until it does",
      classifier->name(), classifier->generation(), texts.size(),
      timeout.count());
  FailAll(texts.size(), CLASSIFYD_DEADLINE_EXCEEDED,
          "classifier '" + classifier->name() + "' did not answer within " +
              std::to_string(timeout.count()) + " ms",
          outcomes);
  return GuardedCall::kTimedOut;
}

void SetStuckCallsListener(std::function<void()> listener) {
  std::lock_guard lock(listener_mu);
  stuck_calls_listener = std::move(listener);
}

int AbandonedGuardedCalls() { return abandoned_calls.load(); }

}  // namespace classifyd
