// Lock-free metric cells for the request path: a counter, a gauge and a
// histogram with fixed buckets. Each update is one or two relaxed atomic
// read-modify-writes, never a lock, so instrumenting a document costs
// nanoseconds. Reading is for scrapes: the values are each exact, but a
// scrape racing with updates may see a histogram's `sum` a few events
// behind or ahead of its buckets. Thread-safe.
#ifndef CLASSIFYD_DAEMON_METRICS_INSTRUMENTS_H_
#define CLASSIFYD_DAEMON_METRICS_INSTRUMENTS_H_

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

namespace classifyd::metrics {

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  void Set(int64_t n) { value_.store(n, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

class Histogram {
 public:
  // `bounds`: the finite upper bounds, ascending; +Inf is implicit.
  explicit Histogram(std::span<const double> bounds)
      : bounds_(bounds.begin(), bounds.end()), buckets_(bounds.size() + 1) {}

  void Observe(double value) {
    size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
  }

  const std::vector<double>& bounds() const { return bounds_; }
  // Events in each bucket alone (not cumulative); the last is (max, +Inf].
  std::vector<uint64_t> BucketCounts() const {
    std::vector<uint64_t> counts;
    counts.reserve(buckets_.size());
    for (const auto& b : buckets_) {
      counts.push_back(b.load(std::memory_order_relaxed));
    }
    return counts;
  }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> buckets_;
  std::atomic<double> sum_{0};
};

}  // namespace classifyd::metrics

#endif  // CLASSIFYD_DAEMON_METRICS_INSTRUMENTS_H_
