// The reference "limit": the fastText plugin's per-document work
// (tokenise, Dictionary::getLine, FastText::predict) run in this process on
// one thread, with no RPC, no plugin ABI and no protobuf.
#ifndef CLASSIFYD_BENCH_INPROCESS_H_
#define CLASSIFYD_BENCH_INPROCESS_H_

#include <string>
#include <vector>

#include "bench_common.h"

namespace classifyd::bench {

struct InProcessOptions {
  std::string model_path;
  std::string input;  // Input name, for the report.
  const std::vector<std::string>* docs = nullptr;
  int top_k = 5;            // What the daemon asks the plugin for by default.
  // max(manifest threshold, the min_score the daemon passes: 0, since it
  // applies min_score itself after calibration and weights).
  float threshold = 0.0f;
  double warmup_seconds = 0.5;
  double duration_seconds = 3;
};

Result RunInProcess(const InProcessOptions& options);

}  // namespace classifyd::bench

#endif  // CLASSIFYD_BENCH_INPROCESS_H_
