#include "service/classify_stream_reactor.h"

#include <spdlog/spdlog.h>

#include <iterator>
#include <vector>

namespace classifyd {

ClassifyStreamReactor::ClassifyStreamReactor(const ClassifyEngine* engine,
                                             CallTracker* calls)
    : engine_(engine),
      calls_(calls),
      window_(engine->limits()->stream_window),
      window_bytes_(engine->limits()->stream_window_bytes) {
  if (engine_->metrics() != nullptr) engine_->metrics()->StreamOpened();
  StartRead(&incoming_);
}

bool ClassifyStreamReactor::WindowHasRoom() const {
  return pending_.size() + classifying_ + outgoing_.size() < window_ &&
         pending_bytes_ + classifying_bytes_ < window_bytes_;
}

void ClassifyStreamReactor::ResumeReadIfRoom() {
  {
    std::lock_guard lock(mu_);
    if (!read_paused_ || reads_done_ || broken_ || !WindowHasRoom()) return;
    read_paused_ = false;
  }
  StartRead(&incoming_);
}

void ClassifyStreamReactor::OnReadDone(bool ok) {
  bool read_again = false;
  {
    std::lock_guard lock(mu_);
    if (!ok) {
      reads_done_ = true;
    } else {
      pending_bytes_ += incoming_.ByteSizeLong();
      pending_.push_back(std::move(incoming_));
      incoming_.Clear();
      if (WindowHasRoom()) {
        read_again = true;
      } else {
        read_paused_ = true;
      }
    }
  }
  // Read ahead while this thread classifies: the next documents queue up
  // and form the next batch.
  if (read_again) StartRead(&incoming_);
  if (ok) ProcessPending();
  Pump();
}

bool ClassifyStreamReactor::TakePendingLocked() {
  if (pending_.empty() || broken_) return false;
  batch_.assign(std::make_move_iterator(pending_.begin()),
                std::make_move_iterator(pending_.end()));
  pending_.clear();
  classifying_ = batch_.size();
  classifying_bytes_ = pending_bytes_;
  pending_bytes_ = 0;
  return true;
}

void ClassifyStreamReactor::ProcessPending() {
  {
    std::lock_guard lock(mu_);
    if (processing_) return;  // The batch in flight picks our documents up.
    if (!TakePendingLocked()) return;
    processing_ = true;
  }
  StartBatch();
}

void ClassifyStreamReactor::StartBatch() {
  responses_.resize(batch_.size());
  request_ptrs_.clear();
  response_ptrs_.clear();
  for (size_t i = 0; i < batch_.size(); ++i) {
    request_ptrs_.push_back(&batch_[i]);
    response_ptrs_.push_back(&responses_[i]);
  }
  // Once handed off, the batch may finish (and the stream end) on another
  // thread at any time: nothing here may touch `this` after this call.
  engine_->RunAsync(request_ptrs_, response_ptrs_, [this] { OnClassified(); });
}

void ClassifyStreamReactor::OnClassified() {
  batch_.clear();  // The texts are done with: free them before reading on.
  if (Metrics* metrics = engine_->metrics()) {
    for (const v1::ClassifyResponse& r : responses_) {
      metrics->DocumentAnswered(Rpc::kClassifyStream, r.error().code());
    }
  }
  {
    std::lock_guard lock(mu_);
    for (v1::ClassifyResponse& r : responses_) outgoing_.push_back(std::move(r));
    classifying_ = 0;
    classifying_bytes_ = 0;
  }
  responses_.clear();
  // Still `processing_`, so the stream cannot finish under this thread.
  // Only bytes were freed (the responses still count as documents), so a
  // read that the byte bound paused may go on before any write finishes.
  ResumeReadIfRoom();
  Pump();
  bool more = false;
  {
    std::lock_guard lock(mu_);
    more = TakePendingLocked();
    processing_ = more;
  }
  // Last use of `this`: either may end the stream.
  if (more) {
    StartBatch();
  } else {
    Pump();
  }
}

void ClassifyStreamReactor::Pump() {
  const v1::ClassifyResponse* to_write = nullptr;
  bool finish = false;
  grpc::Status finish_status = grpc::Status::OK;
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    if (!broken_ && !write_in_flight_ && !outgoing_.empty()) {
      write_in_flight_ = true;
      to_write = &outgoing_.front();
    } else if (!write_in_flight_ && !processing_ &&
               ((reads_done_ && pending_.empty() && outgoing_.empty()) ||
                broken_)) {
      finished_ = true;
      finish = true;
      if (broken_) {
        finish_status = grpc::Status(grpc::StatusCode::CANCELLED,
                                     "stream cancelled or broken");
      }
    }
  }
  if (to_write != nullptr) {
    // No WriteOptions::set_buffer_hint() to coalesce queued responses: a
    // buffered write's completion can wait for a flush that never comes
    // (grpc/grpc#12975, #34231: always when it is the stream's first
    // message), and the next write only starts after that completion, so
    // the stream would hang.
    StartWrite(to_write);
  } else if (finish) {
    if (engine_->metrics() != nullptr) {
      engine_->metrics()->StreamFinished(finish_status.error_code());
    }
    Finish(finish_status);  // Last use of `this` on this path.
  }
}

void ClassifyStreamReactor::OnWriteDone(bool ok) {
  {
    std::lock_guard lock(mu_);
    write_in_flight_ = false;
    outgoing_.pop_front();
    if (!ok) broken_ = true;
  }
  ResumeReadIfRoom();
  Pump();
}

void ClassifyStreamReactor::OnCancel() {
  {
    std::lock_guard lock(mu_);
    broken_ = true;
  }
  Pump();
}

void ClassifyStreamReactor::OnDone() {
  if (engine_->metrics() != nullptr) engine_->metrics()->StreamClosed();
  CallTracker* calls = calls_;
  delete this;
  calls->End();  // Last: shutdown may go on once every call has ended.
}

}  // namespace classifyd
