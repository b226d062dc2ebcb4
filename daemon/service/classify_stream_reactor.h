// The server side of one ClassifyStream call.
//
// gRPC's callback API allows one read and one write in flight at a time.
// The reactor keeps reading ahead while earlier documents are classified
// and written; documents that arrive while a batch is being classified are
// queued, and the next pass takes the whole queue as one batch. A batch is
// handed to the engine (ClassifyEngine::RunAsync), whose plugin calls run
// on the invoker's workers; the worker that finishes it queues the
// responses, starts the writes and hands off the next batch. So a busy
// stream is classified in batches (one plugin call for many documents)
// without ever waiting for a batch to fill, and an idle stream answers each
// document at once. Responses keep request order. Reads stop while
// `stream_window` documents are unanswered, or while the documents read but
// not yet classified hold `stream_window_bytes` or more (so a stream of
// large documents holds megabytes, not hundreds of them; one document is
// always admitted), so a client that does not read its responses, or
// outpaces the classifiers, is held back by gRPC flow control.
//
// Reactions never block and never call a plugin: the only lock is held for
// queue bookkeeping. The stream does not finish while a batch is in
// flight, so a worker may use the reactor until its last call. Deletes
// itself in OnDone().
#ifndef CLASSIFYD_DAEMON_SERVICE_CLASSIFY_STREAM_REACTOR_H_
#define CLASSIFYD_DAEMON_SERVICE_CLASSIFY_STREAM_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <deque>
#include <mutex>
#include <vector>

#include "classifyd/v1/classifier.pb.h"
#include "service/call_tracker.h"
#include "service/classify_engine.h"

namespace classifyd {

class ClassifyStreamReactor final
    : public grpc::ServerBidiReactor<v1::ClassifyRequest,
                                     v1::ClassifyResponse> {
 public:
  // `engine` and `calls` must outlive the reactor, which ends its call in
  // `calls` (counted by the caller's calls->Begin()) when it is done.
  ClassifyStreamReactor(const ClassifyEngine* engine, CallTracker* calls);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // Hands everything queued to the engine, unless a batch is in flight.
  void ProcessPending();
  // Moves pending_ into batch_; false if there is nothing to classify.
  // REQUIRES: mu_ held, no batch in flight.
  bool TakePendingLocked();
  // Hands batch_ to the engine. REQUIRES: processing_ set by this thread.
  void StartBatch();
  // The engine answered batch_ in responses_ (on an invoker thread).
  void OnClassified();
  // Starts the next write if none is in flight; finishes the call when all
  // is done. Called without mu_ held.
  void Pump();
  // Whether the window has room for one more document. REQUIRES: mu_ held.
  bool WindowHasRoom() const;
  // Starts the read that a full window paused, if it now has room. Called
  // without mu_ held.
  void ResumeReadIfRoom();

  const ClassifyEngine* const engine_;
  CallTracker* const calls_;
  const size_t window_;
  const size_t window_bytes_;

  std::mutex mu_;
  v1::ClassifyRequest incoming_;            // Target of the read in flight.
  std::deque<v1::ClassifyRequest> pending_;  // Read, not yet classified.
  size_t classifying_ = 0;                   // Documents being classified.
  // Encoded bytes of the requests in pending_, and of those being
  // classified: what window_bytes_ bounds.
  size_t pending_bytes_ = 0;
  size_t classifying_bytes_ = 0;
  bool processing_ = false;  // A batch is in flight (batch_, responses_).
  // The batch in flight; owned by whoever set processing_.
  std::vector<v1::ClassifyRequest> batch_;
  std::vector<v1::ClassifyResponse> responses_;
  std::vector<const v1::ClassifyRequest*> request_ptrs_;
  std::vector<v1::ClassifyResponse*> response_ptrs_;
  // Classified, not yet written; front() is being written when
  // write_in_flight_. Deque references stay valid across push_back.
  std::deque<v1::ClassifyResponse> outgoing_;
  bool write_in_flight_ = false;
  bool read_paused_ = false;  // Window full; resume the read when it drains.
  bool reads_done_ = false;   // Client half-closed, or the call broke.
  bool broken_ = false;       // A write failed or the call was cancelled.
  bool finished_ = false;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_CLASSIFY_STREAM_REACTOR_H_
