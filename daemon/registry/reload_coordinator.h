// Runs every change to the registry on one control thread, in order, and
// merges rescans that pile up: a burst of file events, SIGHUPs and admin
// rescans queued while one is waiting turns into a single rescan.
//
// Callers never block: each request carries a callback that the control
// thread calls with the result (the admin service finishes its RPC there).
//
// Thread-safe. Stop() (or the destructor) drops the requests not started
// (calling their callbacks with `cancelled` set); the destructor also
// waits for the request being run and joins.
#ifndef CLASSIFYD_DAEMON_REGISTRY_RELOAD_COORDINATOR_H_
#define CLASSIFYD_DAEMON_REGISTRY_RELOAD_COORDINATOR_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "registry/classifier_registry.h"

namespace classifyd {

class ReloadCoordinator {
 public:
  enum class Kind { kRescan, kReload, kLoad, kUnload };
  struct Outcome {
    ClassifierRegistry::ReconcileResult result;
    bool cancelled = false;  // Dropped at shutdown; nothing was done.
  };
  using Done = std::function<void(const Outcome&)>;
  // Told of every request run (not of those dropped at shutdown).
  using Observer = std::function<void(Kind, const Outcome&)>;

  // `registry` must outlive the coordinator. `after_change` runs on the
  // control thread after every request (e.g. to update health), then
  // `observer` (e.g. to count reloads), if any.
  ReloadCoordinator(ClassifierRegistry* registry,
                    std::function<void()> after_change, Observer observer = {});
  ~ReloadCoordinator();
  ReloadCoordinator(const ReloadCoordinator&) = delete;
  ReloadCoordinator& operator=(const ReloadCoordinator&) = delete;

  // Queues a rescan of the plugin directory (merged with one already
  // queued). `why` goes to the log. `done` may be empty.
  void RequestRescan(const std::string& why, Done done = {});

  // Queues a named change: kReload (forced reload of `name`), kLoad or
  // kUnload.
  void Submit(Kind kind, const std::string& name, Done done);

  // Starts no request from now on: the queued ones, and any submitted
  // later, are answered at once with `cancelled` set. The request being
  // run goes on.
  void Stop();
  // Waits until no request is being run, or `deadline`; false if one still
  // is (a plugin hanging in create(), say).
  bool WaitUntilIdle(std::chrono::steady_clock::time_point deadline);

  // Number of requests completed, counted before their `done` callbacks
  // run; for tests and liveness checks.
  uint64_t completed() const;

  // When the request being run started; nullopt when idle. The watchdog
  // uses it to tell a stuck reload (a plugin hanging in create) from a
  // slow one.
  std::optional<std::chrono::steady_clock::time_point> busy_since() const;

 private:
  struct Request {
    Kind kind;
    std::string name;
    std::string why;
    std::vector<Done> done;
  };
  void Run();
  // Queues `request`, or answers it `cancelled` once stopped.
  void Enqueue(Request request);

  ClassifierRegistry* const registry_;
  const std::function<void()> after_change_;
  const Observer observer_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;  // A request has been run.
  std::deque<Request> queue_;
  bool stopping_ = false;
  uint64_t completed_ = 0;
  std::optional<std::chrono::steady_clock::time_point> busy_since_;
  std::thread thread_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_REGISTRY_RELOAD_COORDINATOR_H_
