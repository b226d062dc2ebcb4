// A std::mutex that Clang's thread-safety analysis (-Wthread-safety) can
// follow, so that ABSL_GUARDED_BY and ABSL_EXCLUSIVE_LOCKS_REQUIRED state
// the lock discipline where the compiler checks it.
//
// Why not absl::Mutex: Debian's Abseil is built without ThreadSanitizer
// hooks, so TSan cannot see its locking and would report races on every
// field it guards. std::mutex goes through pthread, which TSan intercepts.
// Conditions use std::condition_variable_any, which takes a Mutex as it is.
//
// Thread-safe.
#ifndef CLASSIFYD_DAEMON_SYNC_MUTEX_H_
#define CLASSIFYD_DAEMON_SYNC_MUTEX_H_

#include <absl/base/thread_annotations.h>

#include <mutex>

namespace classifyd {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// Holds a Mutex for its scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SYNC_MUTEX_H_
