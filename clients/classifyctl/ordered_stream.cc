#include "ordered_stream.h"

#include <utility>

namespace classifyctl {

using classifyd::v1::ClassifyRequest;
using classifyd::v1::ClassifyResponse;
using Clock = std::chrono::steady_clock;

OrderedStream::OrderedStream(classifyd::v1::Classifier::Stub* stub,
                             Limits limits)
    : limits_(limits), last_activity_(Clock::now()) {
  stub->async()->ClassifyStream(&context_, this);
  // Writes are started from the input thread, outside any reaction; the
  // hold keeps OnDone away until writing is over (see Pump()).
  AddHold();
  StartRead(&response_);
  StartCall();
}

OrderedStream::~OrderedStream() {
  CloseInput();
  context_.TryCancel();  // A no-op if the call already ended.
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return done_; });
}

bool OrderedStream::WaitForRoom(std::unique_lock<std::mutex>& lock,
                                size_t bytes) {
  changed_.wait(lock, [&] {
    return broken_ || done_ ||
           (slots_.size() < limits_.window &&
            (slots_.empty() ||
             pending_bytes_ + bytes <= limits_.max_pending_bytes));
  });
  return !broken_ && !done_;
}

bool OrderedStream::Send(ClassifyRequest request) {
  const size_t bytes = request.ByteSizeLong();
  {
    std::unique_lock lock(mu_);
    if (!WaitForRoom(lock, bytes)) return false;
    const bool first_outstanding = awaiting_.empty();
    slots_.push_back({{}, bytes, false});
    awaiting_.push_back(&slots_.back());
    to_write_.push_back(std::move(request));
    pending_bytes_ += bytes;
    if (first_outstanding) {
      // Starts the idle clock, and wakes NextAnswer() from its untimed
      // wait so that it starts a timed one.
      last_activity_ = Clock::now();
      changed_.notify_all();
    }
  }
  Pump();
  return true;
}

bool OrderedStream::SendAnswer(ClassifyResponse answer) {
  const size_t bytes = answer.ByteSizeLong();
  std::unique_lock lock(mu_);
  if (!WaitForRoom(lock, bytes)) return false;
  slots_.push_back({std::move(answer), bytes, true});
  pending_bytes_ += bytes;
  changed_.notify_all();
  return true;
}

void OrderedStream::CloseInput() {
  {
    std::lock_guard lock(mu_);
    if (input_closed_) return;
    input_closed_ = true;
    changed_.notify_all();
  }
  Pump();
}

void OrderedStream::Pump() {
  enum { kWrite, kWritesDone, kGiveUp } action;
  grpc::WriteOptions options;
  {
    std::lock_guard lock(mu_);
    if (write_in_flight_ || writes_closed_) return;
    if (broken_) {
      writes_closed_ = true;
      action = kGiveUp;
    } else if (!to_write_.empty()) {
      writing_ = std::move(to_write_.front());
      to_write_.pop_front();
      write_in_flight_ = true;
      // Only when the next write is certain to follow at once: a hinted
      // message waits for it.
      if (!to_write_.empty()) options.set_buffer_hint();
      action = kWrite;
    } else if (input_closed_) {
      writes_closed_ = true;
      action = kWritesDone;
    } else {
      return;
    }
  }
  switch (action) {
    case kWrite:
      StartWrite(&writing_, options);
      break;
    case kWritesDone:
      StartWritesDone();
      RemoveHold();
      break;
    case kGiveUp:
      RemoveHold();
      break;
  }
}

void OrderedStream::OnWriteDone(bool ok) {
  {
    std::lock_guard lock(mu_);
    write_in_flight_ = false;
    if (!ok) {
      broken_ = true;
      changed_.notify_all();
    }
  }
  Pump();
}

void OrderedStream::OnReadDone(bool ok) {
  if (ok) {
    bool unexpected = false;
    {
      std::lock_guard lock(mu_);
      if (awaiting_.empty()) {
        // More answers than documents: not a classifyd server.
        broken_ = unexpected = true;
      } else {
        Slot* slot = awaiting_.front();
        awaiting_.pop_front();
        slot->answer = std::move(response_);
        slot->ready = true;
        last_activity_ = Clock::now();
      }
      changed_.notify_all();
    }
    if (unexpected) context_.TryCancel();
  } else {
    // The server finished the call: no more answers.
    {
      std::lock_guard lock(mu_);
      broken_ = true;
      changed_.notify_all();
    }
    Pump();
    return;
  }
  response_.Clear();
  StartRead(&response_);
}

void OrderedStream::OnDone(const grpc::Status& status) {
  std::lock_guard lock(mu_);
  status_ = status;
  done_ = true;
  changed_.notify_all();
}

OrderedStream::Next OrderedStream::NextAnswer(ClassifyResponse* answer) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (!slots_.empty() && slots_.front().ready) {
      *answer = std::move(slots_.front().answer);
      pending_bytes_ -= slots_.front().bytes;
      slots_.pop_front();
      changed_.notify_all();  // Room in the window.
      return Next::kAnswer;
    }
    if (slots_.empty() && input_closed_) return Next::kEnd;
    // The front slot awaits the server, or there is no slot yet.
    if ((broken_ || done_) && !slots_.empty()) return Next::kBroken;
    if (awaiting_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const Clock::time_point give_up = last_activity_ + limits_.idle_timeout;
    if (Clock::now() >= give_up) {
      lock.unlock();
      Cancel();
      return Next::kIdle;
    }
    changed_.wait_until(lock, give_up);
  }
}

bool OrderedStream::AnswerReady() {
  std::lock_guard lock(mu_);
  return !slots_.empty() && slots_.front().ready;
}

void OrderedStream::Cancel() { context_.TryCancel(); }

grpc::Status OrderedStream::Finish() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return done_; });
  return status_;
}

size_t OrderedStream::Unanswered() {
  std::lock_guard lock(mu_);
  return awaiting_.size();
}

}  // namespace classifyctl
