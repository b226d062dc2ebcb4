// `classifyd-train predict` and `info`: what a model says about texts, and
// what it is (hyper-parameters, vocabulary, labels).
#ifndef CLASSIFYD_MODELS_TOOLS_MODEL_QUERY_COMMANDS_H_
#define CLASSIFYD_MODELS_TOOLS_MODEL_QUERY_COMMANDS_H_

#include <string>
#include <vector>

namespace classifyd::train {

struct PredictOptions {
  std::string model;
  std::vector<std::string> texts;
  int k = 5;
  double threshold = 0.0;
  bool show_tokens = false;
};

// Prints each text (`options.texts`, else stdin's non-empty lines) with its
// labels and exact scores, tab-separated. Returns the exit code; throws
// std::runtime_error when the model cannot be read.
int RunPredict(const PredictOptions& options);

// Prints the hyper-parameters, sizes and labels of the model at `path`.
int RunInfo(const std::string& path);

}  // namespace classifyd::train

#endif  // CLASSIFYD_MODELS_TOOLS_MODEL_QUERY_COMMANDS_H_
