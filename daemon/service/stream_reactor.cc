#include "service/stream_reactor.h"

#include <spdlog/spdlog.h>

#include <iterator>
#include <string>

#include "service/request_validation.h"

namespace classifyd {

template <typename Framing>
StreamReactor<Framing>::StreamReactor(const ClassifyEngine* engine,
                                      CallTracker* calls)
    : engine_(engine),
      calls_(calls),
      window_(engine->limits()->stream_window),
      window_bytes_(engine->limits()->stream_window_bytes),
      max_batch_documents_(engine->limits()->max_batch_documents) {
  if (engine_->metrics() != nullptr) engine_->metrics()->StreamOpened(Framing::kRpc);
  // On their own, so that no response carries them: a buffered write
  // that also carries the initial metadata can wait for a flush (see
  // Take()).
  this->StartSendInitialMetadata();
  incoming_ = NewIn();
  this->StartRead(incoming_->get());
}

template <typename Framing>
typename StreamReactor<Framing>::InPtr StreamReactor<Framing>::NewIn() {
  return std::make_unique<ArenaMessage<In>>(
      ArenaBlocks(Framing::kInArenaBytes));
}

template <typename Framing>
typename StreamReactor<Framing>::OutPtr StreamReactor<Framing>::NewOut() {
  return std::make_unique<ArenaMessage<Out>>(
      ArenaBlocks(Framing::kOutArenaBytes));
}

template <typename Framing>
bool StreamReactor<Framing>::WindowHasRoom() const {
  return unanswered_ < window_ &&
         pending_bytes_ + classifying_bytes_ < window_bytes_;
}

template <typename Framing>
void StreamReactor<Framing>::ResumeReadIfRoom() {
  {
    std::lock_guard lock(mu_);
    if (!read_paused_ || reads_done_ || broken_ || !WindowHasRoom()) return;
    read_paused_ = false;
  }
  this->StartRead(incoming_->get());
}

template <typename Framing>
void StreamReactor<Framing>::OnReadDone(bool ok) {
  bool read_again = false;
  {
    std::lock_guard lock(mu_);
    if (!ok) {
      reads_done_ = true;
    } else {
      pending_bytes_ += (*incoming_)->ByteSizeLong();
      unanswered_ += Framing::Count(**incoming_);
      pending_.push_back(std::move(incoming_));
      incoming_ = NewIn();
      if (WindowHasRoom()) {
        read_again = true;
      } else {
        read_paused_ = true;
      }
    }
  }
  // Read ahead while the engine classifies: the next messages queue up and
  // form the next batch.
  if (read_again) this->StartRead(incoming_->get());
  if (ok) ProcessPending();
  Pump();
}

template <typename Framing>
bool StreamReactor<Framing>::TakePendingLocked() {
  if (pending_.empty() || broken_) return false;
  batch_.assign(std::make_move_iterator(pending_.begin()),
                std::make_move_iterator(pending_.end()));
  pending_.clear();
  classifying_bytes_ = pending_bytes_;
  pending_bytes_ = 0;
  return true;
}

template <typename Framing>
void StreamReactor<Framing>::ProcessPending() {
  {
    std::lock_guard lock(mu_);
    if (processing_) return;  // The batch in flight picks our messages up.
    if (!TakePendingLocked()) return;
    processing_ = true;
  }
  StartBatch();
}

template <typename Framing>
void StreamReactor<Framing>::RefuseOversized(const In& message, Out* out) const {
  const std::string why =
      "message has " + std::to_string(Framing::Count(message)) +
      " documents, over the limit of " + std::to_string(max_batch_documents_) +
      " (max_batch_documents)";
  for (int i = 0; i < Framing::Count(message); ++i) {
    v1::ClassifyResponse* response = Framing::AddResult(out);
    const std::string& id = Framing::Document(message, i).id();
    if (IsValidUtf8(id)) response->set_id(id);  // As the engine echoes ids.
    response->mutable_error()->set_code(grpc::StatusCode::INVALID_ARGUMENT);
    response->mutable_error()->set_message(why);
  }
}

template <typename Framing>
void StreamReactor<Framing>::StartBatch() {
  results_.clear();
  request_ptrs_.clear();
  response_ptrs_.clear();
  for (const InPtr& in : batch_) {
    const In& message = **in;
    Out* out = results_.emplace_back(NewOut())->get();
    const int count = Framing::Count(message);
    if (static_cast<size_t>(count) > max_batch_documents_) {
      RefuseOversized(message, out);
      continue;
    }
    for (int i = 0; i < count; ++i) {
      request_ptrs_.push_back(&Framing::Document(message, i));
      response_ptrs_.push_back(Framing::AddResult(out));
    }
  }
  // Once handed off, the batch may finish (and the stream end) on another
  // thread at any time: nothing here may touch `this` after this call.
  engine_->RunAsync(request_ptrs_, response_ptrs_, [this] { OnClassified(); });
}

template <typename Framing>
void StreamReactor<Framing>::OnClassified() {
  batch_.clear();  // The texts are done with: free them before reading on.
  if (Metrics* metrics = engine_->metrics()) {
    for (const v1::ClassifyResponse* r : response_ptrs_) {
      metrics->DocumentAnswered(Framing::kRpc, r->error().code());
    }
  }
  {
    std::lock_guard lock(mu_);
    for (OutPtr& out : results_) {
      outgoing_documents_.push_back(Framing::Answers(**out));
      outgoing_.push_back(std::move(out));
    }
    classifying_bytes_ = 0;
  }
  results_.clear();
  // Still `processing_`, so the stream cannot finish under this thread.
  // Only bytes were freed (the responses still count as documents), so a
  // read that the byte bound paused may go on before any write finishes.
  ResumeReadIfRoom();
  Pump();
  bool more = false;
  NextStep step;
  {
    std::lock_guard lock(mu_);
    more = TakePendingLocked();
    processing_ = more;
    // Decided under the lock that clears processing_: once it is clear,
    // a reaction on another thread may finish the stream and OnDone()
    // delete it, so this thread may only go on if it claimed the next
    // write or the finish itself.
    if (!more) step = NextStepLocked();
  }
  if (more) {
    StartBatch();
  } else if (!step.empty()) {
    Take(step);
  }
  // With nothing claimed the stream is another thread's to end, so `this`
  // is not touched again, not even to call a member that would do nothing.
}

template <typename Framing>
typename StreamReactor<Framing>::NextStep
StreamReactor<Framing>::NextStepLocked() {
  NextStep step;
  if (finished_) return step;
  if (!broken_ && !write_in_flight_ && !outgoing_.empty()) {
    write_in_flight_ = true;
    step.write = outgoing_.front()->get();
    step.more_queued = outgoing_.size() > 1;
  } else if (!write_in_flight_ && !processing_ &&
             ((reads_done_ && pending_.empty() && outgoing_.empty()) ||
              broken_)) {
    finished_ = true;
    step.finish = true;
    if (broken_) {
      step.status = grpc::Status(grpc::StatusCode::CANCELLED,
                                 "stream cancelled or broken");
    }
  }
  return step;
}

template <typename Framing>
void StreamReactor<Framing>::Take(const NextStep& step) {
  if (step.write != nullptr) {
    // While more responses are queued behind this one, it may wait in
    // gRPC's buffer and go out with them, in one system call instead of
    // one each. gRPC completes a buffered write at once while the stream
    // buffers less than its write buffer size (and sends the buffer when
    // it holds more), so the next write starts as usual; the last queued
    // response is never buffered, so it flushes the rest (a buffered last
    // response would wait for ever: the stream tests hang). A buffered
    // write that also carries the initial metadata can wait for a flush
    // that never comes (grpc/grpc#12975, #34231); the constructor sends
    // the metadata on its own.
    grpc::WriteOptions options;
    if (step.more_queued) options.set_buffer_hint();
    this->StartWrite(step.write, options);
  } else if (step.finish) {
    if (engine_->metrics() != nullptr) {
      engine_->metrics()->StreamFinished(Framing::kRpc,
                                         step.status.error_code());
    }
    this->Finish(step.status);
  }
}

template <typename Framing>
void StreamReactor<Framing>::Pump() {
  NextStep step;
  {
    std::lock_guard lock(mu_);
    step = NextStepLocked();
  }
  Take(step);
}

template <typename Framing>
void StreamReactor<Framing>::OnWriteDone(bool ok) {
  {
    std::lock_guard lock(mu_);
    write_in_flight_ = false;
    unanswered_ -= static_cast<size_t>(outgoing_documents_.front());
    outgoing_documents_.pop_front();
    outgoing_.pop_front();
    if (!ok) broken_ = true;
  }
  ResumeReadIfRoom();
  Pump();
}

template <typename Framing>
void StreamReactor<Framing>::OnCancel() {
  {
    std::lock_guard lock(mu_);
    broken_ = true;
  }
  Pump();
}

template <typename Framing>
void StreamReactor<Framing>::OnDone() {
  if (engine_->metrics() != nullptr) engine_->metrics()->StreamClosed();
  CallTracker* calls = calls_;
  delete this;
  calls->End();  // Last: shutdown may go on once every call has ended.
}

template class StreamReactor<SingleDocuments>;
template class StreamReactor<DocumentBatches>;

}  // namespace classifyd
