// Pieces every gRPC load generator of classifyd-bench shares: channels,
// requests, the state of one run and the measurement around it.
#ifndef CLASSIFYD_BENCH_LOAD_RUN_H_
#define CLASSIFYD_BENCH_LOAD_RUN_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "grpc_load.h"

namespace classifyd::bench {

enum Phase : int { kRun = 0, kStop = 1 };

// One stub per channel to `o.addr` (`o.channels`, at least 1), each on a
// connection of its own, connected. Throws std::runtime_error when one
// cannot connect within 10 s.
std::vector<std::unique_ptr<v1::Classifier::Stub>> MakeStubs(
    const LoadOptions& o);

// One ClassifyRequest per document of `o.docs`, ids "0", "1", ...
std::vector<v1::ClassifyRequest> MakeRequests(const LoadOptions& o);

std::string DescribeStatus(const grpc::Status& s);

// State shared by every call or stream of one run: the phase, the
// counters, and the count of drivers still running.
class Shared {
 public:
  std::atomic<int> phase{kRun};
  std::atomic<uint64_t> docs{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> labelled{0};
  std::mutex first_error_mu;
  std::string first_error;

  bool stopping() const {
    return phase.load(std::memory_order_relaxed) == kStop;
  }

  void CountDocument(bool has_labels) {
    docs.fetch_add(1, std::memory_order_relaxed);
    if (has_labels) labelled.fetch_add(1, std::memory_order_relaxed);
  }

  void NoteError(const std::string& message) {
    errors.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(first_error_mu);
    if (first_error.empty()) first_error = message;
  }

  void SetRunning(int n) {
    std::lock_guard lock(mu_);
    running_ = n;
  }
  void DriverDone() {
    std::lock_guard lock(mu_);
    if (--running_ == 0) cv_.notify_all();
  }
  // Waits for every driver to finish; false on timeout.
  bool WaitDrivers(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return running_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;
};

// One measured run: snapshots CPU, starts the drivers, lets them issue work
// for the duration, tells them to stop (`kick` wakes idle ones), waits
// until every document sent has been answered, and snapshots CPU again.
// Every document of the run counts, so the server CPU per document is
// exact however the server batches its work (a stream's documents complete
// in bursts of up to a plugin batch); the drain at the end is server time
// spent at full load too.
void MeasureRun(const LoadOptions& o, Shared& shared, Result& result,
                const std::function<void()>& start_drivers,
                const std::function<void()>& kick);

// Latency percentiles of the run into `result`; prints the run's first
// error, if any, to stderr.
void Summarise(const Shared& shared, LatencySamples& latencies, Result& result);

// Names the run in `result`: its scenario, the input and its mean size,
// and what a latency sample is (`latency_unit`: "doc" or "call").
void DescribeRun(const LoadOptions& o, std::string scenario,
                 const char* latency_unit, Result& result);

// A short run first, discarded: connections, server threads, caches.
Result WithWarmup(const LoadOptions& o, Result (*run)(const LoadOptions&));

}  // namespace classifyd::bench

#endif  // CLASSIFYD_BENCH_LOAD_RUN_H_
