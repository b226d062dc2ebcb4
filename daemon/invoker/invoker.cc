#include "invoker/invoker.h"

#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

namespace classifyd {
namespace {

using Clock = std::chrono::steady_clock;

// How often an idle worker checks whether its classifier was retired.
constexpr auto kIdlePoll = std::chrono::seconds(1);

CallResult Failed(size_t count, classifyd_status code,
                  const std::string& message, CallEnd end) {
  CallResult result;
  result.end = end;
  result.outcomes.resize(count);
  for (DocumentOutcome& o : result.outcomes) {
    o.code = code;
    o.message = message;
  }
  return result;
}

// Keeps `classifier` (and its library) referenced for as long as the
// process lives: its call returned after the invoker was destroyed, when
// the Retirer its deleter would queue to may be gone too. Immortal, and
// reachable, so leak checkers do not report it.
void KeepForever(std::shared_ptr<const Classifier> classifier) {
  static auto* const mu = new std::mutex;
  static auto* const kept = new std::vector<std::shared_ptr<const Classifier>>;
  std::lock_guard lock(*mu);
  kept->push_back(std::move(classifier));
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

struct Invoker::Job {
  std::shared_ptr<const Classifier> classifier;
  std::chrono::milliseconds timeout{0};
  PluginBatch batch;
  Completion done;
};

// A job inside the plugin. Lives on its worker's stack; the timer reaches
// it through Core::deadlines, both under Core::mu.
struct Invoker::Running {
  Job* job = nullptr;
  Clock::time_point start;
  Lane* lane = nullptr;
  bool settled = false;  // Its completion was taken (by anyone).
  bool stuck = false;    // Settled by the timer: counted as stuck.
  std::multimap<Clock::time_point, Running*>::iterator deadline;
  bool has_deadline = false;
};

// The calls and workers of one classifier generation.
struct Invoker::Lane {
  const Classifier* key = nullptr;
  std::weak_ptr<const Classifier> classifier;  // Not held while idle.
  std::deque<std::unique_ptr<Job>> queue;
  size_t workers = 0;  // Threads of this lane, stuck ones included.
  size_t idle = 0;     // Threads waiting for a job.
  std::condition_variable_any work;  // Waited on with Core::mu.
};

struct Invoker::Core {
  explicit Core(InvokerOptions o) : options(o) {}
  const InvokerOptions options;

  // std::mutex rather than absl::Mutex: ThreadSanitizer cannot see into
  // the system's uninstrumented Abseil. Guards every field below it up to
  // observer_mu.
  mutable std::mutex mu;
  std::map<const Classifier*, std::shared_ptr<Lane>> lanes;
  std::map<std::string, int> stuck_by_name;
  std::multimap<Clock::time_point, Running*> deadlines;
  std::vector<Running*> running;
  Clock::time_point abandon_at = Clock::time_point::max();
  bool abandoning = false;  // abandon_at has passed.
  // When the timer thread looks at `deadlines` next by itself: the end of
  // its current wait, or min() while it is awake (it looks before it waits
  // again). A new deadline at or after it needs no wake-up, so a call that
  // starts while the timer waits for a later one costs no thread switch.
  Clock::time_point timer_looks_by = Clock::time_point::min();
  bool closed = false;      // The Invoker is destroyed.
  size_t workers = 0;
  int abandoned = 0;  // Workers in an abandoned call.
  std::condition_variable_any timer_wake;
  std::thread timer;

  // Serialises observer calls; null once the Invoker is destroyed.
  std::mutex observer_mu;
  InvokerObserver* observer = nullptr;  // Guarded by observer_mu.

  void Notify(const Classifier& c, bool stuck) {
    std::lock_guard lock(observer_mu);
    if (observer == nullptr) return;
    stuck ? observer->CallStuck(c) : observer->CallRecovered(c);
  }

  // The *Locked functions REQUIRE: mu held.

  // Why a call to `c` must not start now, or "" if it may.
  std::string RefusalLocked(const Classifier& c, const Lane& lane) const;
  // Settles `r` without its worker; the completion to run off the lock.
  Completion AbandonLocked(Running* r, bool shutting_down);
  // Refuses every queued job of `lane` (`why`); appends their completions.
  void RefuseQueuedLocked(Lane* lane, const std::string& why,
                          std::vector<std::pair<Completion, CallResult>>* out);
  // At the end of a drain: settles every running call (UNAVAILABLE) and
  // refuses every queued one.
  void AbandonAllLocked(std::vector<std::pair<Completion, CallResult>>* out);
  void RemoveDeadlineLocked(Running* r);
};

std::string Invoker::Core::RefusalLocked(const Classifier& c,
                                         const Lane& lane) const {
  const std::string quoted = "classifier '" + c.name() + "'";
  if (abandoning) return quoted + " not called: classifyd is shutting down";
  if (c.call_health().stuck_calls.load() > 0) {
    return quoted +
           " is skipped: an earlier call ran past its time limit and has "
           "not returned";
  }
  if (auto it = stuck_by_name.find(c.name());
      it != stuck_by_name.end() &&
      it->second >= options.max_stuck_calls_per_name) {
    return quoted + " is skipped: " + std::to_string(it->second) +
           " calls of its earlier generations ran past their time limit and "
           "have not returned (at most " +
           std::to_string(options.max_stuck_calls_per_name) +
           " are left running)";
  }
  if (lane.queue.size() >= options.max_queued_calls) {
    return quoted + " is busy: " + std::to_string(lane.queue.size()) +
           " calls are waiting for it (max_queued_calls); try again later";
  }
  return "";
}

void Invoker::Core::RemoveDeadlineLocked(Running* r) {
  if (r->has_deadline) deadlines.erase(r->deadline);
  r->has_deadline = false;
}

Invoker::Completion Invoker::Core::AbandonLocked(Running* r,
                                                 bool shutting_down) {
  r->settled = true;
  r->stuck = !shutting_down;
  RemoveDeadlineLocked(r);
  std::erase(running, r);
  ++abandoned;
  const Classifier& c = *r->job->classifier;
  if (r->stuck) {
    c.call_health().stuck_calls.fetch_add(1);
    c.call_health().timed_out_calls.fetch_add(1);
    ++stuck_by_name[c.name()];
  }
  return std::move(r->job->done);
}

void Invoker::Core::RefuseQueuedLocked(
    Lane* lane, const std::string& why,
    std::vector<std::pair<Completion, CallResult>>* out) {
  for (std::unique_ptr<Job>& job : lane->queue) {
    out->emplace_back(std::move(job->done),
                      Failed(job->batch.size(), CLASSIFYD_UNAVAILABLE, why,
                             CallEnd::kRefused));
  }
  lane->queue.clear();
}

void Invoker::Core::AbandonAllLocked(
    std::vector<std::pair<Completion, CallResult>>* out) {
  const std::vector<Running*> left = running;
  for (Running* r : left) {
    const Job& job = *r->job;
    out->emplace_back(AbandonLocked(r, /*shutting_down=*/true),
                      Failed(job.batch.size(), CLASSIFYD_UNAVAILABLE,
                             "classifier '" + job.classifier->name() +
                                 "' did not answer before classifyd shut "
                                 "down",
                             CallEnd::kRefused));
  }
  for (auto& [key, lane] : lanes) {
    RefuseQueuedLocked(lane.get(), "not called: classifyd is shutting down",
                       out);
  }
  if (!left.empty()) {
    spdlog::warn(
        "{} plugin call(s) still running at the end of the drain: answered "
        "UNAVAILABLE, left running",
        left.size());
  }
}

Invoker::Invoker(InvokerOptions options, InvokerObserver* observer)
    : core_(std::make_shared<Core>(options)) {
  {
    std::lock_guard lock(core_->observer_mu);
    core_->observer = observer;
  }
  core_->timer = std::thread(&Invoker::TimerLoop, core_.get());
}

Invoker::~Invoker() { Stop(); }

int Invoker::Stop() {
  AbandonAt(Clock::now());
  Core& core = *core_;
  int left = 0;
  {
    std::unique_lock lock(core.mu);
    if (core.closed) return core.abandoned;
    // The timer abandons every running call once it sees the deadline.
    // Shutdown only: polling keeps the hot paths free of notifications.
    while (!core.abandoning || !core.running.empty()) {
      core.timer_wake.notify_all();
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      lock.lock();
    }
    core.closed = true;
    for (auto& [key, lane] : core.lanes) lane->work.notify_all();
    core.timer_wake.notify_all();
    while (core.workers != static_cast<size_t>(core.abandoned)) {
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      lock.lock();
    }
    left = core.abandoned;
  }
  core.timer.join();
  std::lock_guard lock(core.observer_mu);
  core.observer = nullptr;
  return left;
}

void Invoker::AbandonAt(Clock::time_point deadline) {
  std::lock_guard lock(core_->mu);
  if (deadline < core_->abandon_at) core_->abandon_at = deadline;
  core_->timer_wake.notify_one();
}

int Invoker::AbandonedCalls() const {
  std::lock_guard lock(core_->mu);
  return core_->abandoned;
}

size_t Invoker::Workers() const {
  std::lock_guard lock(core_->mu);
  return core_->workers;
}

CallResult Invoker::Call(std::shared_ptr<const Classifier> classifier,
                         std::chrono::milliseconds timeout, PluginBatch batch) {
  auto promise = std::make_shared<std::promise<CallResult>>();
  std::future<CallResult> result = promise->get_future();
  Submit(std::move(classifier), timeout, std::move(batch),
         [promise](CallResult r) { promise->set_value(std::move(r)); });
  return result.get();
}

void Invoker::Submit(std::shared_ptr<const Classifier> classifier,
                     std::chrono::milliseconds timeout, PluginBatch batch,
                     Completion done) {
  Core& core = *core_;
  const Classifier& c = *classifier;
  const size_t count = batch.size();
  std::string refusal;
  {
    std::lock_guard lock(core.mu);
    std::shared_ptr<Lane>& slot = core.lanes[&c];
    // An expired lane belonged to a destroyed classifier at the same
    // address; its idle workers end by themselves.
    if (slot == nullptr || slot->classifier.expired()) {
      slot = std::make_shared<Lane>();
      slot->key = &c;
      slot->classifier = classifier;
    }
    std::shared_ptr<Lane> lane = slot;
    refusal = core.RefusalLocked(c, *lane);
    if (refusal.empty()) {
      lane->queue.push_back(std::make_unique<Job>(
          Job{std::move(classifier), timeout, std::move(batch),
              std::move(done)}));
      if (lane->idle >= lane->queue.size()) {
        lane->work.notify_one();
        return;
      }
      if (lane->workers >= core.options.workers_per_classifier) return;
      try {
        std::thread(&Invoker::Work, core_, lane).detach();
        ++lane->workers;
        ++core.workers;
        return;
      } catch (const std::system_error& e) {
        spdlog::error("cannot start a thread for classifier {}: {}", c.name(),
                      e.what());
        if (lane->workers > 0) return;  // Queued for the existing ones.
        done = std::move(lane->queue.back()->done);
        lane->queue.pop_back();
        refusal = "classifier '" + c.name() + "' not called: no thread";
      }
    }
    if (lane->workers == 0 && lane->queue.empty()) core.lanes.erase(&c);
  }
  const bool no_thread = refusal.ends_with("no thread");
  done(Failed(count, no_thread ? CLASSIFYD_RESOURCE_EXHAUSTED
                               : CLASSIFYD_UNAVAILABLE,
              refusal, CallEnd::kRefused));
}

namespace {

// Names the thread after its classifier (top, gdb), within the 15 bytes
// Linux allows.
void NameThread(const std::string& classifier) {
  const std::string name = ("p:" + classifier).substr(0, 15);
  pthread_setname_np(pthread_self(), name.c_str());
}

// Puts the calling thread under SCHED_BATCH (InvokerOptions::
// batch_scheduling). Where it is not allowed (a seccomp filter, a
// container's policy) the worker runs as before.
void UseBatchScheduling() {
  const sched_param param{};
  if (sched_setscheduler(0, SCHED_BATCH, &param) != 0) {
    spdlog::debug(
        "plugin worker stays under the default scheduling "
        "policy: sched_setscheduler(SCHED_BATCH): {}",
        std::system_category().message(errno));
  }
}

}  // namespace

// One worker of `lane`: takes jobs until it has been idle for long, its
// classifier was retired, or the invoker is destroyed.
void Invoker::Work(std::shared_ptr<Core> core_ptr, std::shared_ptr<Lane> lane) {
  Core& core = *core_ptr;
  // A system call (and a log line where refused): not under the lock.
  if (core.options.batch_scheduling) UseBatchScheduling();
  core.mu.lock();
  if (auto c = lane->classifier.lock()) NameThread(c->name());
  Clock::time_point idle_since = Clock::now();
  for (;;) {
    if (lane->queue.empty()) {
      if (core.closed || lane->classifier.expired() ||
          Clock::now() - idle_since >= core.options.idle_worker_exit) {
        break;
      }
      ++lane->idle;
      lane->work.wait_for(core.mu, kIdlePoll);
      --lane->idle;
      continue;
    }
    std::unique_ptr<Job> job = std::move(lane->queue.front());
    lane->queue.pop_front();
    if (!RunJob(core, lane.get(), job.get())) {
      KeepForever(std::move(job->classifier));
      break;
    }
    job.reset();  // Its classifier reference was already dropped.
    idle_since = Clock::now();
  }
  --lane->workers;
  --core.workers;
  if (lane->workers == 0) {
    auto it = core.lanes.find(lane->key);
    if (it != core.lanes.end() && it->second == lane) core.lanes.erase(it);
  }
  core.mu.unlock();
}

bool Invoker::RunJob(Core& core, Lane* lane, Job* job) {
  Running r;
  r.job = job;
  r.lane = lane;
  r.start = Clock::now();
  if (job->timeout.count() > 0) {
    r.deadline = core.deadlines.emplace(r.start + job->timeout, &r);
    r.has_deadline = true;
    if (r.deadline->first < core.timer_looks_by) core.timer_wake.notify_one();
  }
  core.running.push_back(&r);
  core.mu.unlock();
  CallResult result;
  job->classifier->ClassifyBatch(job->batch.Texts(), job->batch.top_k,
                                 job->batch.min_score, &result.outcomes);
  result.seconds = SecondsSince(r.start);
  core.mu.lock();
  if (!r.settled) {
    r.settled = true;
    core.RemoveDeadlineLocked(&r);
    std::erase(core.running, &r);
    Completion done = std::move(job->done);
    core.mu.unlock();
    // Frees the copy of the texts before the completion, which may hand
    // off the caller's next batch.
    job->batch = PluginBatch();
    done(std::move(result));
    job->classifier.reset();  // Off the lock: may queue its destruction.
    core.mu.lock();
    return true;
  }
  --core.abandoned;
  if (core.closed) return false;
  std::shared_ptr<const Classifier> classifier = std::move(job->classifier);
  if (r.stuck) {
    classifier->call_health().stuck_calls.fetch_sub(1);
    if (--core.stuck_by_name[classifier->name()] == 0) {
      core.stuck_by_name.erase(classifier->name());
    }
  }
  core.mu.unlock();
  if (r.stuck) {
    spdlog::warn(
        "classifier {} (generation {}): a call that timed out returned after "
        "{:.0f} ms; back in service",
        classifier->name(), classifier->generation(), result.seconds * 1000);
    core.Notify(*classifier, /*stuck=*/false);
  }
  classifier.reset();
  core.mu.lock();
  return true;
}

void Invoker::TimerLoop(Core* core) {
  core->mu.lock();
  while (!core->closed) {
    std::vector<std::pair<Completion, CallResult>> settle;
    // Each with its time limit in ms.
    std::vector<std::pair<std::shared_ptr<const Classifier>, int64_t>> stuck;
    const Clock::time_point now = Clock::now();
    if (!core->abandoning && now >= core->abandon_at) {
      core->abandoning = true;
      core->AbandonAllLocked(&settle);
    }
    while (!core->deadlines.empty() && core->deadlines.begin()->first <= now) {
      Running* r = core->deadlines.begin()->second;
      const Job& job = *r->job;
      stuck.emplace_back(job.classifier, job.timeout.count());
      const std::string message = "classifier '" + job.classifier->name() +
                                  "' did not answer within " +
                                  std::to_string(job.timeout.count()) + " ms";
      settle.emplace_back(
          core->AbandonLocked(r, /*shutting_down=*/false),
          Failed(job.batch.size(), CLASSIFYD_DEADLINE_EXCEEDED, message,
                 CallEnd::kTimedOut));
      settle.back().second.seconds = SecondsSince(r->start);
      // Queued calls would wait behind it; the classifier is skipped now.
      core->RefuseQueuedLocked(r->lane, core->RefusalLocked(*job.classifier,
                                                            *r->lane),
                               &settle);
    }
    if (settle.empty()) {
      Clock::time_point next = core->abandoning ? Clock::time_point::max()
                                                : core->abandon_at;
      if (!core->deadlines.empty()) {
        next = std::min(next, core->deadlines.begin()->first);
      }
      const auto wait = std::min<Clock::duration>(next - now, std::chrono::hours(1));
      core->timer_looks_by = now + wait;
      core->timer_wake.wait_for(core->mu, wait);
      core->timer_looks_by = Clock::time_point::min();
      continue;
    }
    core->mu.unlock();
    for (const auto& [c, ms] : stuck) {
      spdlog::error(
          "classifier {} (generation {}): classify_batch() did not return "
          "within {} ms; skipping the classifier until it does",
          c->name(), c->generation(), ms);
      core->Notify(*c, /*stuck=*/true);
    }
    for (auto& [done, result] : settle) done(std::move(result));
    settle.clear();
    stuck.clear();  // Off the lock: may be the last reference.
    core->mu.lock();
  }
  core->mu.unlock();
}

}  // namespace classifyd
