// Shared pieces of classifyd-bench: benchmark inputs, latency statistics,
// CPU accounting and the result record every scenario prints.
#ifndef CLASSIFYD_BENCH_BENCH_COMMON_H_
#define CLASSIFYD_BENCH_BENCH_COMMON_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace classifyd::bench {

using Clock = std::chrono::steady_clock;

// Reads one headline per line (blank lines skipped). Throws
// std::runtime_error if the file cannot be read or has no headline.
std::vector<std::string> ReadHeadlines(const std::string& path);

// The documents of input `kind`: "headline" (the headlines themselves),
// "1k" or "10k" (consecutive headlines joined by "。" until the document
// holds at least 1,024 or 10,240 bytes; consecutive documents take
// consecutive headlines, wrapping around). Throws std::invalid_argument for
// an unknown kind.
std::vector<std::string> BuildDocuments(const std::vector<std::string>& headlines,
                                        const std::string& kind);

// Mean size of `docs` in bytes; 0 for none.
double AverageBytes(const std::vector<std::string>& docs);

// Collects latency samples and answers percentiles.
class LatencySamples {
 public:
  void Add(Clock::duration d) {
    samples_.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  }
  void Merge(const LatencySamples& other);
  size_t size() const { return samples_.size(); }
  // Percentile p in [0, 100] in microseconds; 0 when empty. Sorts.
  double PercentileMicros(double p);

 private:
  std::vector<int64_t> samples_;
};

// CPU time (user and system) consumed so far by a process.
struct CpuTimes {
  double user_us = 0;
  double system_us = 0;
  double total_us() const { return user_us + system_us; }
};

// utime and stime of process `pid` from /proc/<pid>/stat (all its threads,
// clock-tick resolution, usually 10 ms). Throws std::runtime_error if the
// process is gone.
CpuTimes ReadProcessCpu(pid_t pid);
// The number after `key` ("VmRSS:", "Threads:") in /proc/<pid>/status, or
// -1 if the process or the field is gone.
long ReadProcessStatus(pid_t pid, const std::string& key);
// CPU time of this process (getrusage, microsecond resolution).
CpuTimes ReadSelfCpu();
// CPU time of the calling thread.
CpuTimes ReadThreadCpu();

// The outcome of one scenario run.
struct Result {
  std::string scenario;      // e.g. "unary-c16", "stream-x4", "batch-64".
  std::string input;         // "headline", "1k", "10k".
  std::string latency_unit;  // "doc" or "call": what one latency sample is.
  double avg_doc_bytes = 0;
  uint64_t docs = 0;         // Documents answered in the measured window.
  double seconds = 0;        // Length of the measured window.
  double p50_us = 0;
  double p99_us = 0;
  bool have_server_cpu = false;
  CpuTimes server_cpu;       // Server CPU over the window.
  CpuTimes client_cpu;       // This process's CPU over the window.
  uint64_t errors = 0;       // Failed calls or documents with an error.
  uint64_t labelled = 0;     // Answered documents with at least one label.

  double docs_per_second() const { return seconds > 0 ? docs / seconds : 0; }
};

// Column names of the TSV form, tab-separated.
std::string ResultTsvHeader();
// One TSV row (no newline).
std::string ResultTsvRow(const Result& r);
// A multi-line human-readable summary.
std::string ResultText(const Result& r);

// Parses a row written by ResultTsvRow; false if malformed.
bool ParseResultTsvRow(const std::string& line, Result* r);

}  // namespace classifyd::bench

#endif  // CLASSIFYD_BENCH_BENCH_COMMON_H_
