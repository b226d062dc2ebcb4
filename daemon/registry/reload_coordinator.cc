#include "registry/reload_coordinator.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace classifyd {

ReloadCoordinator::ReloadCoordinator(ClassifierRegistry* registry,
                                     std::function<void()> after_change,
                                     Observer observer)
    : registry_(registry),
      after_change_(std::move(after_change)),
      observer_(std::move(observer)),
      thread_([this] { Run(); }) {}

ReloadCoordinator::~ReloadCoordinator() {
  Stop();
  thread_.join();
}

namespace {

void Cancel(std::vector<ReloadCoordinator::Done>& done) {
  ReloadCoordinator::Outcome cancelled;
  cancelled.cancelled = true;
  for (ReloadCoordinator::Done& d : done) {
    if (d) d(cancelled);
  }
}

}  // namespace

void ReloadCoordinator::Stop() {
  std::deque<Request> dropped;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  wake_.notify_all();
  for (Request& r : dropped) Cancel(r.done);
}

bool ReloadCoordinator::WaitUntilIdle(
    std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return idle_.wait_until(lock, deadline,
                          [this] { return !busy_since_.has_value(); });
}

void ReloadCoordinator::RequestRescan(const std::string& why, Done done) {
  Request r{Kind::kRescan, "", why, {}};
  if (done) r.done.push_back(std::move(done));
  Enqueue(std::move(r));
}

void ReloadCoordinator::Submit(Kind kind, const std::string& name, Done done) {
  Request r{kind, name, "", {}};
  if (done) r.done.push_back(std::move(done));
  Enqueue(std::move(r));
}

void ReloadCoordinator::Enqueue(Request request) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      // A rescan merges with one that has not started yet.
      for (Request& queued : queue_) {
        if (request.kind == Kind::kRescan && queued.kind == Kind::kRescan) {
          for (Done& d : request.done) queued.done.push_back(std::move(d));
          return;
        }
      }
      queue_.push_back(std::move(request));
      wake_.notify_one();
      return;
    }
  }
  Cancel(request.done);
}

uint64_t ReloadCoordinator::completed() const {
  std::lock_guard lock(mu_);
  return completed_;
}

std::optional<std::chrono::steady_clock::time_point>
ReloadCoordinator::busy_since() const {
  std::lock_guard lock(mu_);
  return busy_since_;
}

void ReloadCoordinator::Run() {
  for (;;) {
    Request request;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      request = std::move(queue_.front());
      queue_.pop_front();
      busy_since_ = std::chrono::steady_clock::now();
    }
    Outcome outcome;
    switch (request.kind) {
      case Kind::kRescan:
        // Quiet unless it changes something (below): file watches and
        // probes may rescan often.
        spdlog::debug("rescanning plugins ({})", request.why);
        outcome.result = registry_->Reconcile();
        break;
      case Kind::kReload:
        spdlog::info("reloading classifier {} on request", request.name);
        outcome.result = registry_->Reconcile(request.name);
        break;
      case Kind::kLoad:
        spdlog::info("loading classifier {} on request", request.name);
        outcome.result = registry_->Load(request.name);
        break;
      case Kind::kUnload:
        outcome.result = registry_->Unload(request.name);
        break;
    }
    const auto& r = outcome.result;
    if (r.loaded + r.failed + r.removed > 0) {
      spdlog::info("plugins changed{}: {} loaded, {} failed, {} removed",
                   request.kind == Kind::kRescan ? " (" + request.why + ")"
                                                 : std::string(),
                   r.loaded, r.failed, r.removed);
    } else if (request.kind == Kind::kRescan) {
      spdlog::debug("rescan ({}): nothing changed", request.why);
    }
    if (after_change_) after_change_();
    if (observer_) observer_(request.kind, outcome);
    {
      // Counted before the callbacks run, so a requester woken by its
      // callback already sees its request in completed().
      std::lock_guard lock(mu_);
      ++completed_;
    }
    for (Done& d : request.done) {
      if (d) d(outcome);
    }
    std::lock_guard lock(mu_);
    busy_since_.reset();
    idle_.notify_all();
  }
}

}  // namespace classifyd
