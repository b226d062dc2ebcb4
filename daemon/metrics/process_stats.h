// The process_* series every Prometheus client library exports (memory,
// CPU, file descriptors and their limit, start time), read from /proc and
// getrlimit() at scrape time. Thread-safe (reads only).
#ifndef CLASSIFYD_DAEMON_METRICS_PROCESS_STATS_H_
#define CLASSIFYD_DAEMON_METRICS_PROCESS_STATS_H_

#include <prometheus/metric_family.h>

#include <vector>

namespace classifyd {

// Process-wide figures; -1: could not be read here.
struct ProcessStats {
  double resident_bytes = -1;
  double virtual_bytes = -1;
  double open_fds = -1;
  double max_fds = -1;  // The soft RLIMIT_NOFILE (systemd's LimitNOFILE=).
  double cpu_seconds = -1;
  double start_time_seconds = -1;  // Unix time.
};
ProcessStats ReadProcessStats();

// Appends one family per figure of `process` that could be read.
void AppendProcessFamilies(const ProcessStats& process,
                           std::vector<prometheus::MetricFamily>* out);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_METRICS_PROCESS_STATS_H_
