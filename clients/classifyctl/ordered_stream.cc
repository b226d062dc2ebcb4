#include "ordered_stream.h"

#include <algorithm>
#include <utility>

namespace classifyctl {

using classifyd::v1::ClassifyRequest;
using classifyd::v1::ClassifyResponse;

OrderedStream::OrderedStream(classifyd::v1::Classifier::Stub* stub,
                             Limits limits)
    : limits_(limits), last_activity_(Clock::now()) {
  stub->async()->ClassifyBatchStream(&context_, this);
  // Writes are started from the input thread, outside any reaction; the
  // hold keeps OnDone away until writing is over (see Pump()).
  AddHold();
  StartRead(&response_);
  StartCall();
  if (limits_.max_batch > 1 && limits_.linger.count() > 0) {
    linger_thread_ = std::thread([this] { LingerLoop(); });
  }
}

OrderedStream::~OrderedStream() {
  CloseInput();
  context_.TryCancel();  // A no-op if the call already ended.
  std::unique_lock lock(mu_);
  stop_linger_ = true;
  to_send_.notify_one();
  ended_.wait(lock, [&] { return done_; });
  lock.unlock();
  if (linger_thread_.joinable()) linger_thread_.join();
}

void OrderedStream::LingerLoop() {
  std::unique_lock lock(mu_);
  while (!stop_linger_) {
    if (to_write_.empty() || write_in_flight_ || writes_closed_) {
      to_send_.wait(lock);
    } else if (!MessageDueLocked()) {
      to_send_.wait_until(lock, first_queued_ + limits_.linger);
    } else {
      lock.unlock();
      Pump();  // Starts the write: the message is due.
      lock.lock();
    }
  }
}

bool OrderedStream::MessageDueLocked() const {
  // A window smaller than a message fills before the message does. A
  // window that is full of earlier documents is not a reason to go: their
  // answers soon make room, and a document sent alone each time one is
  // taken would undo the batching.
  const size_t full = std::min(limits_.max_batch, limits_.window);
  return to_write_.size() >= full || input_closed_ ||
         Clock::now() >= first_queued_ + limits_.linger;
}

void OrderedStream::TakeMessageLocked() {
  writing_.Clear();
  const size_t n = std::min(limits_.max_batch, to_write_.size());
  for (size_t i = 0; i < n; ++i) {
    *writing_.add_documents() = std::move(to_write_.front());
    to_write_.pop_front();
  }
  // The rest waited at most this long already; they go with the next write.
  if (!to_write_.empty()) first_queued_ = Clock::now() - limits_.linger;
}

void OrderedStream::NotifyAllLocked() {
  room_.notify_all();
  answers_.notify_all();
  to_send_.notify_all();
  ended_.notify_all();
}

bool OrderedStream::RoomLocked(size_t documents, size_t bytes) const {
  return slots_.size() + documents <= limits_.window &&
         (slots_.empty() ||
          pending_bytes_ + bytes <= limits_.max_pending_bytes);
}

bool OrderedStream::WaitForRoom(std::unique_lock<std::mutex>& lock,
                                size_t bytes) {
  if (!broken_ && !done_ && RoomLocked(1, bytes)) return true;
  // Once the window is full, wait until a message's worth of answers has
  // been taken, not one: refilling slot by slot would wake this thread
  // for every answer.
  const size_t refill =
      std::max<size_t>(1, std::min(limits_.max_batch, limits_.window / 2));
  room_wanted_ = {refill, bytes};
  room_.wait(lock, [&] {
    return broken_ || done_ || RoomLocked(room_wanted_->first, bytes);
  });
  room_wanted_.reset();
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
    if (to_write_.empty()) {
      first_queued_ = Clock::now();
      to_send_.notify_one();  // The linger timer starts.
    }
    to_write_.push_back(std::move(request));
    pending_bytes_ += bytes;
    if (first_outstanding) {
      // Starts the idle clock, and wakes NextAnswer() from its untimed
      // wait so that it starts a timed one.
      last_activity_ = Clock::now();
      answers_.notify_one();
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
  answers_.notify_one();
  return true;
}

void OrderedStream::CloseInput() {
  {
    std::lock_guard lock(mu_);
    if (input_closed_) return;
    input_closed_ = true;
    answers_.notify_one();  // May be the end of the answers.
    to_send_.notify_one();  // What is queued is due now.
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
      if (!MessageDueLocked()) return;  // The linger timer calls back.
      TakeMessageLocked();
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
    if (ok) {
      to_send_.notify_one();  // Documents queued meanwhile may be due.
    } else {
      broken_ = true;
      NotifyAllLocked();
    }
  }
  Pump();
}

void OrderedStream::OnReadDone(bool ok) {
  if (ok) {
    bool unexpected = false;
    {
      std::lock_guard lock(mu_);
      for (ClassifyResponse& result : *response_.mutable_results()) {
        if (awaiting_.empty()) {
          // More answers than documents: not a classifyd server.
          broken_ = unexpected = true;
          break;
        }
        Slot* slot = awaiting_.front();
        awaiting_.pop_front();
        slot->answer = std::move(result);
        slot->ready = true;
      }
      last_activity_ = Clock::now();
      if (unexpected) {
        NotifyAllLocked();
      } else {
        answers_.notify_one();
      }
    }
    if (unexpected) context_.TryCancel();
  } else {
    // The server finished the call: no more answers.
    {
      std::lock_guard lock(mu_);
      broken_ = true;
      NotifyAllLocked();
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
  NotifyAllLocked();
}

OrderedStream::Next OrderedStream::NextAnswer(ClassifyResponse* answer) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (!slots_.empty() && slots_.front().ready) {
      *answer = std::move(slots_.front().answer);
      pending_bytes_ -= slots_.front().bytes;
      slots_.pop_front();
      if (room_wanted_ &&
          RoomLocked(room_wanted_->first, room_wanted_->second)) {
        room_.notify_one();
      }
      return Next::kAnswer;
    }
    if (slots_.empty() && input_closed_) return Next::kEnd;
    // The front slot awaits the server, or there is no slot yet. A call
    // that ended before the input did can answer neither, even while the
    // input is quiet and nothing is in flight.
    if (broken_ || done_) return Next::kBroken;
    if (awaiting_.empty()) {
      answers_.wait(lock);
      continue;
    }
    const Clock::time_point give_up = last_activity_ + limits_.idle_timeout;
    if (Clock::now() >= give_up) {
      lock.unlock();
      Cancel();
      return Next::kIdle;
    }
    answers_.wait_until(lock, give_up);
  }
}

bool OrderedStream::AnswerReady() {
  std::lock_guard lock(mu_);
  return !slots_.empty() && slots_.front().ready;
}

void OrderedStream::Cancel() { context_.TryCancel(); }

grpc::Status OrderedStream::Finish() {
  std::unique_lock lock(mu_);
  ended_.wait(lock, [&] { return done_; });
  return status_;
}

size_t OrderedStream::Unanswered() {
  std::lock_guard lock(mu_);
  return awaiting_.size();
}

}  // namespace classifyctl
