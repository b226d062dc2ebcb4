// The server side of one streaming Classify call: ClassifyStream (one
// document per message) or ClassifyBatchStream (many per message), as
// `Framing` says (service/stream_framing.h).
//
// gRPC's callback API allows one read and one write in flight at a time.
// The reactor keeps reading ahead while earlier messages are classified
// and written; messages that arrive while a batch is being classified are
// queued, and the next pass takes the whole queue as one batch. A batch is
// handed to the engine (ClassifyEngine::RunAsync) without copying the
// documents out of their messages; its plugin calls run on the invoker's
// workers, and the worker that finishes it queues the responses, starts the
// writes and hands off the next batch. So a busy stream is classified in
// batches (one plugin call for many documents) without ever waiting for a
// batch to fill, and an idle stream answers each message at once.
// Responses keep request order, one per message. Reads stop while
// `stream_window` documents are unanswered, or while the messages read but
// not yet classified hold `stream_window_bytes` or more (one message is
// always admitted), so a client that does not read its responses, or
// outpaces the classifiers, is held back by gRPC flow control. A message of
// more than `max_batch_documents` documents is answered with that error for
// each of them; the stream goes on.
//
// Reactions never block and never call a plugin: the only lock is held for
// queue bookkeeping. The stream does not finish while a batch is in
// flight, so the worker that answers a batch may use the reactor until it
// clears that mark; from then on a reaction on another thread may end the
// stream, so the worker goes on only with the next write or the finish it
// claimed under the same lock. Deletes itself in OnDone().
#ifndef CLASSIFYD_DAEMON_SERVICE_STREAM_REACTOR_H_
#define CLASSIFYD_DAEMON_SERVICE_STREAM_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "service/arena_messages.h"
#include "service/call_tracker.h"
#include "service/classify_engine.h"
#include "service/stream_framing.h"

namespace classifyd {

template <typename Framing>
class StreamReactor final
    : public grpc::ServerBidiReactor<typename Framing::In,
                                     typename Framing::Out> {
 public:
  using In = typename Framing::In;
  using Out = typename Framing::Out;

  // `engine` and `calls` must outlive the reactor, which ends its call in
  // `calls` (counted by the caller's calls->Begin()) when it is done.
  StreamReactor(const ClassifyEngine* engine, CallTracker* calls);

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
  // Answers every document of `message` in `out` with the over-limit error.
  void RefuseOversized(const In& message, Out* out) const;
  // The engine answered batch_ in results_ (on an invoker thread).
  void OnClassified();
  // What the stream does next: write `write`, or finish with `status`,
  // or neither (a write is in flight, or there is more to come).
  struct NextStep {
    const Out* write = nullptr;
    bool more_queued = false;  // Other responses wait behind `write`.
    bool finish = false;
    grpc::Status status;
    bool empty() const { return write == nullptr && !finish; }
  };
  // Claims the next step: marks the write in flight or the stream
  // finished, so no other thread takes it too. REQUIRES: mu_ held.
  NextStep NextStepLocked();
  // Takes a claimed step. Called without mu_ held; after a finish, or
  // once the write completes, another thread may delete the reactor.
  void Take(const NextStep& step);
  // Claims and takes the next step. Called without mu_ held, only while
  // something keeps the stream from finishing under this thread (a
  // reaction in progress, or a batch in flight).
  void Pump();
  // Whether the window has room for one more message. REQUIRES: mu_ held.
  bool WindowHasRoom() const;
  // Starts the read that a full window paused, if it now has room. Called
  // without mu_ held.
  void ResumeReadIfRoom();

  // Messages read and answers, each on an arena of its own; queues move
  // these pointers, never the messages.
  using InPtr = std::unique_ptr<ArenaMessage<In>>;
  using OutPtr = std::unique_ptr<ArenaMessage<Out>>;
  static InPtr NewIn();
  static OutPtr NewOut();

  const ClassifyEngine* const engine_;
  CallTracker* const calls_;
  const size_t window_;
  const size_t window_bytes_;
  const size_t max_batch_documents_;

  std::mutex mu_;
  InPtr incoming_;             // Target of the read in flight.
  std::deque<InPtr> pending_;  // Read, not yet classified.
  // Documents read and not yet answered (written), in pending_, batch_ and
  // outgoing_: what window_ bounds.
  size_t unanswered_ = 0;
  // Encoded bytes of the messages in pending_, and of those being
  // classified: what window_bytes_ bounds.
  size_t pending_bytes_ = 0;
  size_t classifying_bytes_ = 0;
  bool processing_ = false;  // A batch is in flight (batch_, results_).
  // The batch in flight; owned by whoever set processing_.
  std::vector<InPtr> batch_;
  std::vector<OutPtr> results_;  // results_[i] answers batch_[i].
  std::vector<const v1::ClassifyRequest*> request_ptrs_;
  std::vector<v1::ClassifyResponse*> response_ptrs_;
  // Classified, not yet written; front() is being written when
  // write_in_flight_.
  std::deque<OutPtr> outgoing_;
  std::deque<int> outgoing_documents_;  // Documents each of outgoing_ answers.
  bool write_in_flight_ = false;
  bool read_paused_ = false;  // Window full; resume the read when it drains.
  bool reads_done_ = false;   // Client half-closed, or the call broke.
  bool broken_ = false;       // A write failed or the call was cancelled.
  bool finished_ = false;
};

using ClassifyStreamReactor = StreamReactor<SingleDocuments>;
using ClassifyBatchStreamReactor = StreamReactor<DocumentBatches>;

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_STREAM_REACTOR_H_
