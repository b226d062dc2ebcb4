// One ClassifyBatchStream call shared by an input thread that sends
// documents one at a time and an output thread that takes the answers one
// at a time, in input order.
//
// Documents are coalesced: the first one queued waits at most `linger` for
// others, and up to `max_batch` of them go out as one message, so a caller
// that sends one document at a time gets the server's batch efficiency
// (one message, one read, one plugin call for many documents) at the cost
// of at most `linger` of latency. A message goes out at once when it is
// full (`max_batch` documents, or `window` if that is smaller) and when the
// input is closed.
//
// Why a reactor and not the blocking stream API: writes and reads proceed
// independently on gRPC's threads, so the input side never waits for
// answers and the output side never waits for input, and a write can be
// given the buffer hint whenever the next one is already queued (the
// benchmark measured ~10% less server CPU with coalesced writes). The hint
// is only given then, because a hinted message is held until the next
// write: hinting the last queued message could hold it forever.
//
// Memory is bounded: at most `window` documents (and about
// `max_pending_bytes` of them) are between Send() and NextAnswer(); Send()
// blocks while the window is full. Input lines that never reach the server
// (bad JSON) take a slot with a ready-made answer, so every input line gets
// exactly one output line, in order.
#ifndef CLASSIFYD_CLIENTS_CLASSIFYCTL_ORDERED_STREAM_H_
#define CLASSIFYD_CLIENTS_CLASSIFYCTL_ORDERED_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "classifyd/v1/classifier.grpc.pb.h"

namespace classifyctl {

using Clock = std::chrono::steady_clock;

class OrderedStream final
    : public grpc::ClientBidiReactor<classifyd::v1::ClassifyBatchRequest,
                                     classifyd::v1::ClassifyBatchResponse> {
 public:
  struct Limits {
    size_t window = 1024;
    size_t max_pending_bytes = 64 << 20;
    size_t max_batch = 64;  // Documents per message; 1: no coalescing.
    std::chrono::microseconds linger{1000};
    // NextAnswer() gives up when no answer arrives for this long while
    // documents are outstanding.
    std::chrono::milliseconds idle_timeout{30'000};
  };

  // Starts the call. `stub` is only used here.
  OrderedStream(classifyd::v1::Classifier::Stub* stub, Limits limits);
  // Waits for the call to end (see Finish()).
  ~OrderedStream() override;

  // --- Input side (one thread) ---
  // Queues `request` for the server. Blocks while the window is full.
  // False once the call has broken: stop sending.
  bool Send(classifyd::v1::ClassifyRequest request);
  // Queues an answer made locally, delivered in order with the others.
  bool SendAnswer(classifyd::v1::ClassifyResponse answer);
  // No more input: half-closes the call once everything queued is written.
  void CloseInput();

  // --- Output side (one thread) ---
  enum class Next {
    kAnswer,  // *answer is the next one, in input order.
    kEnd,     // Every document was answered and the input is closed.
    kBroken,  // The call ended with documents unanswered.
    kIdle,    // No answer for idle_timeout; the call was cancelled.
  };
  Next NextAnswer(classifyd::v1::ClassifyResponse* answer);
  // Whether the next answer is already waiting (to flush output only when
  // it would otherwise wait).
  bool AnswerReady();

  // Cancels the call (e.g. output cannot be written).
  void Cancel();
  // Waits until the call has ended and returns its status.
  grpc::Status Finish();
  // Documents sent to the server and never answered.
  size_t Unanswered();

  // gRPC reactions.
  void OnWriteDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  struct Slot {
    classifyd::v1::ClassifyResponse answer;
    size_t bytes = 0;
    bool ready = false;
  };

  // Wakes every waiter: the call broke or ended. REQUIRES: mu_ held.
  void NotifyAllLocked();
  // Whether `documents` more of `bytes` each fit in the window (a document
  // always fits an empty one). REQUIRES: mu_ held.
  bool RoomLocked(size_t documents, size_t bytes) const;
  // Waits for room in the window; false if the call broke meanwhile.
  bool WaitForRoom(std::unique_lock<std::mutex>& lock, size_t bytes);
  // Starts the next write, or the half-close, if it is time.
  void Pump();
  // Whether the documents in to_write_ should go out now rather than wait
  // for more. REQUIRES: mu_ held.
  bool MessageDueLocked() const;
  // Moves the next message's documents from to_write_ into writing_.
  // REQUIRES: mu_ held, no write in flight, to_write_ not empty.
  void TakeMessageLocked();
  // The linger timer: calls Pump() when queued documents have waited
  // `linger` and no write is in flight to take them.
  void LingerLoop();

  const Limits limits_;
  grpc::ClientContext context_;
  classifyd::v1::ClassifyBatchResponse response_;  // Target of the read.
  classifyd::v1::ClassifyBatchRequest writing_;    // Source of the write.

  std::mutex mu_;
  // One condition per waiter, so that a document queued or answered wakes
  // only the thread that needs it: a shared one woke the linger thread and
  // the output thread for every document sent, a context switch or two per
  // document, which bounded the whole stream at the client's speed.
  std::condition_variable room_;     // Send(), SendAnswer(): window room.
  std::condition_variable answers_;  // NextAnswer(): the next answer.
  std::condition_variable to_send_;  // LingerLoop(): a message to time.
  std::condition_variable ended_;    // Finish(), ~OrderedStream(): done_.
  std::deque<Slot> slots_;  // Every unfinished document, in input order.
  // Slots waiting for the server's answer, in send order. Deque elements
  // keep their address while others are added or removed at the ends.
  std::deque<Slot*> awaiting_;
  std::deque<classifyd::v1::ClassifyRequest> to_write_;
  Clock::time_point first_queued_;  // When to_write_.front() was queued.
  bool stop_linger_ = false;
  size_t pending_bytes_ = 0;
  // While Send() waits for room: the documents it waits to have room for,
  // and the size of the one it holds.
  std::optional<std::pair<size_t, size_t>> room_wanted_;
  bool write_in_flight_ = false;
  bool input_closed_ = false;
  bool writes_closed_ = false;  // Half-closed, or writing gave up.
  bool broken_ = false;         // A write or the read side failed.
  bool done_ = false;           // OnDone ran.
  grpc::Status status_;
  Clock::time_point last_activity_;
  std::thread linger_thread_;  // Last: started once the rest is set up.
};

}  // namespace classifyctl

#endif  // CLASSIFYD_CLIENTS_CLASSIFYCTL_ORDERED_STREAM_H_
