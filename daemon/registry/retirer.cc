#include "registry/retirer.h"

#include <malloc.h>

#include <future>
#include <utility>

namespace classifyd {

Retirer::Retirer(bool trim) : trim_(trim), thread_([this] { Run(); }) {}

Retirer::~Retirer() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Retirer::Enqueue(Job job) {
  {
    MutexLock lock(&mu_);
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void Retirer::Retire(std::function<void()> work) {
  Enqueue({std::move(work), /*retirement=*/true});
}

void Retirer::RunNow(const std::function<void()>& work) {
  if (std::this_thread::get_id() == thread_.get_id()) {
    work();
    return;
  }
  std::promise<void> done;
  std::future<void> finished = done.get_future();
  Enqueue({[&work, &done] {
             work();
             done.set_value();
           },
           /*retirement=*/false});
  finished.wait();
}

void Retirer::Drain() {
  MutexLock lock(&mu_);
  idle_.wait(mu_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_.empty() && !busy_;
  });
}

size_t Retirer::completed() const {
  MutexLock lock(&mu_);
  return completed_;
}

void Retirer::Run() {
  mu_.lock();
  for (;;) {
    wake_.wait(mu_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || !queue_.empty();
    });
    if (queue_.empty()) break;  // Stopping and nothing left to do.
    Job job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    mu_.unlock();
    job.work();
    job.work = nullptr;
    if (trim_ && job.retirement) {
      // A retired model frees megabytes scattered over malloc arenas; give
      // them back to the system so reloads do not ratchet up resident
      // memory.
      malloc_trim(0);
    }
    mu_.lock();
    busy_ = false;
    if (job.retirement) ++completed_;
    if (queue_.empty()) idle_.notify_all();
  }
  mu_.unlock();
}

}  // namespace classifyd
