// The fastText plugin's per-document work (normalise, tokenise, rank the
// labels with the shared scorer of plugins/fasttext/label_scorer.h),
// outside the plugin: the in-process reference and the plain C++ peer
// server both run it, so each compares with the daemon on exactly the work
// the plugin does (FastTextClassifier::ClassifyBatch calls the same scorer).
//
// Not thread-safe: one Predictor per thread (the model may be shared).
#ifndef CLASSIFYD_BENCH_PREDICTOR_H_
#define CLASSIFYD_BENCH_PREDICTOR_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "label_scorer.h"

namespace classifyd::bench {

// A loaded supervised model and its label names (prefix removed).
class Model {
 public:
  // Throws std::runtime_error (or fastText's exceptions) if `path` is not a
  // supervised fastText model.
  explicit Model(const std::string& path,
                 const std::string& label_prefix = "__label__");

  const plugins::LabelScorer& scorer() const { return scorer_; }
  const std::string& label(int32_t id) const { return scorer_.labels()[id]; }

 private:
  plugins::LabelScorer scorer_;
};

class Predictor {
 public:
  // REQUIRES: `model` outlives the predictor.
  Predictor(const Model* model, int top_k, float threshold)
      : model_(model), top_k_(top_k), threshold_(threshold) {}

  // (label, probability) of `text`, best first; empty when the text has no
  // token. Valid until the next call.
  const std::vector<std::pair<const std::string*, float>>& Classify(
      std::string_view text);

 private:
  const Model* model_;
  const int top_k_;
  const float threshold_;
  std::vector<std::pair<const std::string*, float>> labels_;
};

}  // namespace classifyd::bench

#endif  // CLASSIFYD_BENCH_PREDICTOR_H_
