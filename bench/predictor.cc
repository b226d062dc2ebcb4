#include "predictor.h"

namespace classifyd::bench {

Model::Model(const std::string& path, const std::string& label_prefix) {
  scorer_.Load(path, label_prefix);
}

const std::vector<std::pair<const std::string*, float>>& Predictor::Classify(
    std::string_view text) {
  labels_.clear();
  const plugins::LabelScorer& scorer = model_->scorer();
  for (const plugins::ScoredLabel& s :
       scorer.Rank(scorer.Words(text), top_k_, threshold_)) {
    labels_.emplace_back(&model_->label(s.label), s.score);
  }
  return labels_;
}

}  // namespace classifyd::bench
