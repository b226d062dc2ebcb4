#include "registry/retirer.h"

#include <malloc.h>

#include <utility>

namespace classifyd {

Retirer::Retirer(bool trim) : trim_(trim), thread_([this] { Run(); }) {}

Retirer::~Retirer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Retirer::Retire(std::function<void()> work) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(work));
  }
  wake_.notify_one();
}

void Retirer::Drain() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

size_t Retirer::completed() const {
  std::lock_guard lock(mu_);
  return completed_;
}

void Retirer::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // Stopping and nothing left to do.
    std::function<void()> work = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    work();
    work = nullptr;
    if (trim_) {
      // A retired model frees megabytes scattered over malloc arenas; give
      // them back to the system so reloads do not ratchet up resident
      // memory.
      malloc_trim(0);
    }
    lock.lock();
    busy_ = false;
    ++completed_;
    if (queue_.empty()) idle_.notify_all();
  }
}

}  // namespace classifyd
