// Counts the streams in flight so that shutdown can drain them before it
// shuts the gRPC server down (and the HTTP listener's, which can only stop
// once its streams have).
//
// Why not leave the drain to grpc::Server::Shutdown(deadline) alone: with
// gRPC 1.51, when a stream ends while Shutdown is under way, the last
// responses it wrote can stay unsent; the connection is reset when the
// process exits and the client loses the end of a stream the server
// finished (StreamTest.SigtermFinishesInFlightStreamsThenExitsZero: in 1
// to 6 runs in 100 under load, whether or not the client was reading).
// Streams ended on a server that runs as usual do not lose anything. So on
// SIGTERM the daemon refuses new streams (UNAVAILABLE: open it on another
// instance), waits here until the streams in flight have ended (bounded by
// the drain timeout), and only then shuts the server down. Unary calls are
// short and go on being served until then: refusing them would send every
// retry a load balancer routes here back with an error.
//
// Thread-safe.
#ifndef CLASSIFYD_DAEMON_SERVICE_CALL_TRACKER_H_
#define CLASSIFYD_DAEMON_SERVICE_CALL_TRACKER_H_

#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>

namespace classifyd {

class CallTracker {
 public:
  // Counts a call that starts; false (and not counted) once draining, or
  // when `most` calls are in flight already.
  bool Begin(int most = std::numeric_limits<int>::max()) {
    std::lock_guard lock(mu_);
    if (draining_ || in_flight_ >= most) return false;
    ++in_flight_;
    return true;
  }

  // A call counted by Begin() is done.
  void End() {
    std::lock_guard lock(mu_);
    if (--in_flight_ == 0) idle_.notify_all();
  }

  // From now on Begin() refuses.
  void StartDraining() {
    std::lock_guard lock(mu_);
    draining_ = true;
  }

  bool draining() const {
    std::lock_guard lock(mu_);
    return draining_;
  }

  int in_flight() const {
    std::lock_guard lock(mu_);
    return in_flight_;
  }

  // Waits until no call is in flight or `deadline` passes; the calls still
  // in flight (0: idle).
  int WaitUntilIdle(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    idle_.wait_until(lock, deadline, [this] { return in_flight_ == 0; });
    return in_flight_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable idle_;
  int in_flight_ = 0;
  bool draining_ = false;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_CALL_TRACKER_H_
