// What the invoker tells the rest of the daemon about stuck plugin calls.
//
// A call is stuck when it runs past its time limit: its request has been
// answered without it, but the worker thread is still inside the plugin.
// The daemon's health re-evaluation subscribes through this interface.
//
// Implementations must be thread-safe: calls come from the invoker's timer
// thread and its workers, one at a time (the invoker serialises them), and
// must not call back into the invoker.
#ifndef CLASSIFYD_DAEMON_INVOKER_INVOKER_OBSERVER_H_
#define CLASSIFYD_DAEMON_INVOKER_INVOKER_OBSERVER_H_

namespace classifyd {

class Classifier;

class InvokerObserver {
 public:
  virtual ~InvokerObserver() = default;

  // A call of `classifier` ran past its time limit; its
  // call_health().stuck_calls already counts it.
  virtual void CallStuck(const Classifier& classifier) = 0;

  // A stuck call of `classifier` returned; stuck_calls no longer counts it.
  virtual void CallRecovered(const Classifier& classifier) = 0;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_INVOKER_INVOKER_OBSERVER_H_
