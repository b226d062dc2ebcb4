// The one owner of plugin calls: every classify_batch() of the daemon runs
// on a worker thread of the invoker, never on a gRPC thread or on the
// caller's.
//
// Each classifier (one loaded generation) gets a lane: a bounded queue of
// calls and a small pool of workers, started on demand and ended when idle
// or when the classifier has been retired. A call may have a time limit;
// past it the caller is answered (DEADLINE_EXCEEDED for every document)
// while the worker stays inside the plugin, "stuck". A plugin call cannot be
// interrupted, so a stuck worker keeps its classifier (and so its library)
// referenced until the call returns; nothing is destroyed under it. While a
// classifier has a stuck call it is skipped (UNAVAILABLE at once): a plugin
// stuck in one call may well be stuck in the next. Stuck calls are counted
// per classifier (Classifier::call_health) and capped per classifier name
// across generations, so reloading a plugin that hangs cannot grow threads
// without bound. Stuck and recovered calls are reported to an injected
// InvokerObserver.
//
// Every call's completion runs exactly once, on a worker (answered), on the
// invoker's timer thread (timed out, abandoned), or on the caller's thread
// before Submit() returns (refused: queue full, classifier skipped,
// shutting down). Completions must not block.
//
// Thread-safe.
#ifndef CLASSIFYD_DAEMON_INVOKER_INVOKER_H_
#define CLASSIFYD_DAEMON_INVOKER_INVOKER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "invoker/invoker_observer.h"
#include "invoker/invoker_options.h"
#include "invoker/plugin_batch.h"
#include "plugin/classifier.h"

namespace classifyd {

// How a call ended.
enum class CallEnd {
  kAnswered,  // The plugin returned in time; outcomes are its answers.
  kTimedOut,  // DEADLINE_EXCEEDED for every document; the call is stuck.
  kRefused,   // Not called (see the outcomes' message): UNAVAILABLE, or
              // RESOURCE_EXHAUSTED when no thread could be started.
};

struct CallResult {
  std::vector<DocumentOutcome> outcomes;  // One per text of the batch.
  CallEnd end = CallEnd::kAnswered;
  double seconds = 0;  // From the start of the plugin call to its answer.
};

class Invoker {
 public:
  using Completion = std::function<void(CallResult)>;

  // `observer` (null: none) must stay valid until the invoker is destroyed.
  explicit Invoker(InvokerOptions options = {},
                   InvokerObserver* observer = nullptr);
  // Stop(), if not done yet.
  ~Invoker();
  Invoker(const Invoker&) = delete;
  Invoker& operator=(const Invoker&) = delete;

  // Runs classifier->ClassifyBatch(batch) on a worker of its lane; `done`
  // gets the result. `timeout` 0: no time limit.
  void Submit(std::shared_ptr<const Classifier> classifier,
              std::chrono::milliseconds timeout, PluginBatch batch,
              Completion done);

  // Submit() and wait for the result. Not for gRPC threads.
  CallResult Call(std::shared_ptr<const Classifier> classifier,
                  std::chrono::milliseconds timeout, PluginBatch batch);

  // From `deadline` on, calls still running are abandoned (UNAVAILABLE:
  // shutting down) and new ones refused, so that a drain ends in time
  // however long plugins hang. Calls before it are served as usual.
  void AbandonAt(std::chrono::steady_clock::time_point deadline);

  // Abandons the calls still running (their completions run now), refuses
  // new ones, waits for the workers that are not inside a plugin to end,
  // and stops calling the observer. Workers still inside a plugin are left
  // running; when their call returns they end without releasing their
  // classifier, so that nothing is destroyed under the others. Returns how
  // many are left (AbandonedCalls() at the time). Idempotent.
  int Stop();

  // Workers inside a plugin call whose caller was answered without them
  // (stuck or abandoned). While it is not 0, static destructors must not
  // run (a plugin's own among them): the process should leave with
  // std::quick_exit().
  int AbandonedCalls() const;

  // Worker threads alive, stuck ones included. For tests and diagnostics.
  size_t Workers() const;

 private:
  struct Core;
  struct Lane;
  struct Job;
  struct Running;
  static void Work(std::shared_ptr<Core> core, std::shared_ptr<Lane> lane);
  // Runs `job` on this worker. REQUIRES: core.mu held; held again on
  // return. False if the invoker was destroyed while the call was stuck.
  static bool RunJob(Core& core, Lane* lane, Job* job);
  static void TimerLoop(Core* core);

  std::shared_ptr<Core> core_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_INVOKER_INVOKER_H_
