// Builders of prometheus-cpp MetricFamily values, for Collect(): a family,
// and counter, gauge and histogram samples from the lock-free cells of
// instruments.h.
#ifndef CLASSIFYD_DAEMON_METRICS_FAMILIES_H_
#define CLASSIFYD_DAEMON_METRICS_FAMILIES_H_

#include <prometheus/metric_family.h>

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "metrics/instruments.h"

namespace classifyd::metrics {

using Labels = std::vector<prometheus::ClientMetric::Label>;

inline prometheus::MetricFamily Family(std::string name, std::string help,
                                       prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

inline prometheus::ClientMetric& AddSample(prometheus::MetricFamily& family,
                                           Labels labels) {
  prometheus::ClientMetric& m = family.metric.emplace_back();
  m.label = std::move(labels);
  return m;
}

inline void AddCounter(prometheus::MetricFamily& family, Labels labels,
                       double value) {
  AddSample(family, std::move(labels)).counter.value = value;
}

inline void AddGauge(prometheus::MetricFamily& family, Labels labels,
                     double value) {
  AddSample(family, std::move(labels)).gauge.value = value;
}

inline void AddHistogram(prometheus::MetricFamily& family, Labels labels,
                         const Histogram& h) {
  prometheus::ClientMetric& m = AddSample(family, std::move(labels));
  const std::vector<uint64_t> counts = h.BucketCounts();
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    m.histogram.bucket.push_back(
        {cumulative, i < h.bounds().size()
                         ? h.bounds()[i]
                         : std::numeric_limits<double>::infinity()});
  }
  // The count is the +Inf bucket, so the two always agree.
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = h.Sum();
}

}  // namespace classifyd::metrics

#endif  // CLASSIFYD_DAEMON_METRICS_FAMILIES_H_
