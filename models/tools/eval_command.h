// `classifyd-train eval`: top-1 accuracy, macro-F1 and per-label
// precision / recall / F1 of a model on labelled TSV files, at top-1 and at
// a top-k/threshold operating point, as text tables and optionally JSON
// (models/build.sh reads the JSON into the model card).
#ifndef CLASSIFYD_MODELS_TOOLS_EVAL_COMMAND_H_
#define CLASSIFYD_MODELS_TOOLS_EVAL_COMMAND_H_

#include <string>
#include <vector>

namespace classifyd::train {

struct EvalOptions {
  std::string model;
  std::vector<std::string> tests;  // "path" or "name=path".
  std::string json;
  int k = 5;
  double threshold = 0.1;
  bool quiet = false;
};

// Runs the evaluation; returns the exit code. Throws std::runtime_error on
// unreadable input.
int RunEval(const EvalOptions& options);

}  // namespace classifyd::train

#endif  // CLASSIFYD_MODELS_TOOLS_EVAL_COMMAND_H_
