// A fastText model as classifyd-train's eval and predict query it: labels
// ranked and scored exactly as the fastText plugin serves them
// (label_scorer.h).
//
// Thread-safe after construction (const members only).
#ifndef CLASSIFYD_MODELS_TOOLS_SCORED_MODEL_H_
#define CLASSIFYD_MODELS_TOOLS_SCORED_MODEL_H_

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "label_scorer.h"
#include "tsv_data.h"

namespace classifyd::train {

class Model {
 public:
  explicit Model(const std::string& path) {
    if (!std::filesystem::is_regular_file(path)) {
      throw std::runtime_error("no model file '" + path + "'");
    }
    try {
      scorer_.Load(path, std::string(kLabelPrefix));
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot load '" + path + "': " + e.what());
    }
  }

  const std::vector<std::string>& labels() const { return scorer_.labels(); }
  const fasttext::FastText& fasttext() const { return scorer_.model(); }

  // The labels of `text` with probabilities, best first: the top `k` whose
  // probability is at least `threshold`, scored and ranked exactly as the
  // plugin does (label_scorer.h).
  std::vector<std::pair<std::string, float>> Predict(std::string_view text,
                                                     int32_t k,
                                                     float threshold) const {
    std::vector<std::pair<std::string, float>> result;
    for (const plugins::ScoredLabel& s :
         scorer_.Rank(scorer_.Words(text), k, threshold)) {
      result.emplace_back(labels()[s.label], s.score);
    }
    return result;
  }

 private:
  plugins::LabelScorer scorer_;
};

}  // namespace classifyd::train

#endif  // CLASSIFYD_MODELS_TOOLS_SCORED_MODEL_H_
