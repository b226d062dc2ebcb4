// Summarises the TSV rows of repeated runs: medians per scenario and input,
// ratios against the in-process reference, and the performance targets.
#ifndef CLASSIFYD_BENCH_REPORT_H_
#define CLASSIFYD_BENCH_REPORT_H_

#include <string>

namespace classifyd::bench {

// Reads result rows (header lines and other text are skipped) from `path`
// and returns a Markdown report. Throws std::runtime_error if the file
// cannot be read or holds no row.
std::string Report(const std::string& path);

}  // namespace classifyd::bench

#endif  // CLASSIFYD_BENCH_REPORT_H_
