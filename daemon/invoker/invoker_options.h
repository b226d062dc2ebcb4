// Settings of the invoker (invoker/invoker.h): how many plugin calls of
// one classifier run and wait, and how many may be left stuck.
#ifndef CLASSIFYD_DAEMON_INVOKER_INVOKER_OPTIONS_H_
#define CLASSIFYD_DAEMON_INVOKER_INVOKER_OPTIONS_H_

#include <chrono>
#include <cstddef>

namespace classifyd {

struct InvokerOptions {
  // Most calls of one classifier that run at the same time.
  size_t workers_per_classifier = 4;
  // Most calls of one classifier waiting for a worker; beyond it a call is
  // refused with UNAVAILABLE.
  size_t max_queued_calls = 4096;
  // Most stuck calls of the classifiers of one name (all generations);
  // at the limit every generation of that name is skipped.
  int max_stuck_calls_per_name = 4;
  // A worker with nothing to do for this long ends.
  std::chrono::milliseconds idle_worker_exit{30'000};
  // Run workers under SCHED_BATCH: a worker woken for a call does not
  // preempt the thread that woke it (a gRPC thread, which then finishes
  // its callback and takes the next request) but runs when that thread
  // waits. Plugin calls are throughput work, the request threads latency
  // work; with many calls in flight this saves thread switches on every
  // call (bench/README.md). CPU shares are unchanged (same nice value).
  bool batch_scheduling = true;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_INVOKER_INVOKER_OPTIONS_H_
