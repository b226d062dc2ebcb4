#include "service/classify_stream_reactor.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace classifyd {

ClassifyStreamReactor::ClassifyStreamReactor(const ClassifyEngine* engine,
                                             CallTracker* calls)
    : engine_(engine), calls_(calls), window_(engine->limits()->stream_window) {
  if (engine_->metrics() != nullptr) engine_->metrics()->StreamOpened();
  StartRead(&incoming_);
}

void ClassifyStreamReactor::OnReadDone(bool ok) {
  bool read_again = false;
  {
    std::lock_guard lock(mu_);
    if (!ok) {
      reads_done_ = true;
    } else {
      pending_.push_back(std::move(incoming_));
      incoming_.Clear();
      if (pending_.size() + classifying_ + outgoing_.size() < window_) {
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

void ClassifyStreamReactor::ProcessPending() {
  std::vector<v1::ClassifyRequest> batch;
  std::vector<v1::ClassifyResponse> responses;
  std::vector<const v1::ClassifyRequest*> request_ptrs;
  std::vector<v1::ClassifyResponse*> response_ptrs;
  {
    std::lock_guard lock(mu_);
    if (processing_) return;  // That thread will pick our documents up.
    processing_ = true;
  }
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (pending_.empty() || broken_) {
        processing_ = false;
        return;
      }
      batch.assign(std::make_move_iterator(pending_.begin()),
                   std::make_move_iterator(pending_.end()));
      pending_.clear();
      classifying_ = batch.size();
    }
    responses.resize(batch.size());
    request_ptrs.clear();
    response_ptrs.clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      request_ptrs.push_back(&batch[i]);
      response_ptrs.push_back(&responses[i]);
    }
    engine_->Run(request_ptrs, response_ptrs);
    if (Metrics* metrics = engine_->metrics()) {
      for (const v1::ClassifyResponse& r : responses) {
        metrics->DocumentAnswered(Rpc::kClassifyStream, r.error().code());
      }
    }
    {
      std::lock_guard lock(mu_);
      for (v1::ClassifyResponse& r : responses) outgoing_.push_back(std::move(r));
      classifying_ = 0;
    }
    responses.clear();
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
  bool resume_read = false;
  {
    std::lock_guard lock(mu_);
    write_in_flight_ = false;
    outgoing_.pop_front();
    if (!ok) {
      broken_ = true;
    } else if (read_paused_ && !reads_done_ &&
               pending_.size() + classifying_ + outgoing_.size() < window_) {
      read_paused_ = false;
      resume_read = true;
    }
  }
  if (resume_read) StartRead(&incoming_);
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
