// A unary call's reactor that counts the call in a CallTracker until gRPC
// is done with it (its response sent or the call cancelled), not only
// until Finish(): server/server_shutdown.h closes the connections that are
// left once no call is counted, so a call must stay counted until its
// response is on its way.
//
// Thread-safety: as grpc::ServerUnaryReactor; the tracker is thread-safe.
#ifndef CLASSIFYD_DAEMON_SERVICE_COUNTED_UNARY_REACTOR_H_
#define CLASSIFYD_DAEMON_SERVICE_COUNTED_UNARY_REACTOR_H_

#include <grpcpp/support/server_callback.h>

#include "service/call_tracker.h"

namespace classifyd {

class CountedUnaryReactor final : public grpc::ServerUnaryReactor {
 public:
  // Counts a new call in `calls`, which must outlive it. Never refused, so
  // `calls` must be a tracker that never drains. Owned by gRPC once
  // returned from a handler; deletes itself when done.
  static CountedUnaryReactor* Begin(CallTracker* calls) {
    calls->Begin();
    return new CountedUnaryReactor(calls);
  }

  void OnDone() override {
    CallTracker* calls = calls_;
    delete this;
    calls->End();  // Last: shutdown may go on once every call has ended.
  }

  // Lets gRPC run OnDone() (and the empty OnCancel()) on the thread that
  // ends the call instead of handing it to its executor thread, which
  // cost every unary call a thread wake-up. gRPC marks this hook "not
  // API", for reactors whose reactions are trivial: these only free
  // memory and count down under a mutex held for an instant. If gRPC
  // drops the hook, `override` stops the build.
  bool InternalInlineable() override { return true; }

 private:
  explicit CountedUnaryReactor(CallTracker* calls) : calls_(calls) {}

  CallTracker* const calls_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_COUNTED_UNARY_REACTOR_H_
