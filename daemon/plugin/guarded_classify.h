// classify_batch() under a time limit.
//
// A call into a plugin cannot be interrupted, so a guarded call runs on a
// worker thread while the request thread waits for it up to the timeout.
// When the timeout passes, the request gets DEADLINE_EXCEEDED for that
// classifier and goes on; the call keeps running on its worker with its own
// copy of the texts and its own reference to the classifier, which is
// therefore not destroyed (nor its library unloaded) under it, even if a
// reload retires it meanwhile. Until it returns, the classifier counts as
// stuck (CallHealth::stuck_calls) and new calls to it are skipped with
// UNAVAILABLE instead of piling more threads into it. When it returns the
// classifier is back in service.
//
// Calls with no timeout do not come here: they run on the request thread,
// as before, because the hand-off costs a thread wake-up per plugin call.
//
// Thread-safe.
#ifndef CLASSIFYD_DAEMON_PLUGIN_GUARDED_CLASSIFY_H_
#define CLASSIFYD_DAEMON_PLUGIN_GUARDED_CLASSIFY_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "plugin/classifier.h"

namespace classifyd {

// How a guarded call ended, for the caller's accounting.
enum class GuardedCall {
  kAnswered,  // The plugin returned in time; `outcomes` are its answers.
  kTimedOut,  // Every outcome is DEADLINE_EXCEEDED; the call is now stuck.
  kSkipped,   // Every outcome is UNAVAILABLE: an earlier call is stuck.
  kNoThread,  // Every outcome is RESOURCE_EXHAUSTED: no worker thread.
};

// Like classifier->ClassifyBatch(texts, top_k, min_score, outcomes), but
// waits at most `timeout` for it. REQUIRES: timeout > 0; the caller holds
// `classifier` until this returns.
GuardedCall ClassifyWithTimeout(
    const std::shared_ptr<const Classifier>& classifier,
    std::span<const std::string_view> texts, uint32_t top_k, float min_score,
    std::chrono::milliseconds timeout, std::vector<DocumentOutcome>* outcomes);

// Calls `listener` (if not empty) after any classifier's stuck-call count
// changes: a call timed out, or a stuck call returned. The daemon uses it
// to re-evaluate its health. Calls are serialised with each other and with
// this function, so once it returns the previous listener is not running
// and will not run again. The listener runs on the thread that saw the
// change (a request thread or a guarded-call worker) and must not call
// back into this file.
void SetStuckCallsListener(std::function<void()> listener);

// Guarded calls of the whole process that timed out and whose worker has
// not yet let go of its classifier. While it is not 0, a worker may still
// drop the last reference to a classifier (which queues its destruction to
// the registry's Retirer), so shutdown must not destroy the Retirer; the
// daemon exits without waiting for them instead (see server/daemon.cc).
int AbandonedGuardedCalls();

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_PLUGIN_GUARDED_CLASSIFY_H_
