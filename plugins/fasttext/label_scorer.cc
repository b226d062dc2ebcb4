#include "label_scorer.h"

#include <fasttext/vector.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "text/tokenizer.h"

namespace classifyd::plugins {

void LabelScorer::Load(const std::string& path,
                       const std::string& label_prefix) {
  loadModel(path);
  loss_ = getArgs().loss;
  if (dict_->nlabels() == 0) {
    throw std::runtime_error("not a supervised model (it has no labels)");
  }
  labels_.clear();
  for (int32_t i = 0; i < dict_->nlabels(); ++i) {
    std::string label = dict_->getLabel(i);
    if (label.compare(0, label_prefix.size(), label_prefix) == 0) {
      label.erase(0, label_prefix.size());
    }
    labels_.push_back(std::move(label));
  }
}

std::vector<int32_t> LabelScorer::Words(std::string_view text) const {
  std::vector<int32_t> words;
  std::string line = text::ToFastTextLine(text);
  if (line.empty()) return words;
  // Training lines end with a newline, which fastText turns into an
  // end-of-sentence token; add it so serving sees the same input.
  line.push_back('\n');
  std::istringstream in(std::move(line));
  std::vector<int32_t> unused_labels;
  dict_->getLine(in, words, unused_labels);
  return words;
}

std::vector<ScoredLabel> LabelScorer::Rank(const std::vector<int32_t>& words,
                                           int32_t k, float threshold) const {
  if (words.empty() || k <= 0) return {};
  if (loss_ == fasttext::loss_name::hs) {
    return RankByFastText(words, k, threshold);
  }
  // Model::computeHidden and Loss::computeOutput, without the table.
  fasttext::Vector hidden(input_->size(1));
  hidden.zero();
  for (int32_t word : words) hidden.addRow(*input_, word);
  hidden.mul(1.0f / static_cast<float>(words.size()));
  std::vector<ScoredLabel> all(labels_.size());
  for (size_t i = 0; i < all.size(); ++i) {
    all[i].label = static_cast<int32_t>(i);
    all[i].logit = output_->dotRow(hidden, static_cast<int64_t>(i));
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const ScoredLabel& a, const ScoredLabel& b) {
                     return a.logit > b.logit;
                   });
  double softmax_sum = 0;
  if (loss_ == fasttext::loss_name::softmax) {
    for (const ScoredLabel& s : all) {
      softmax_sum += std::exp(s.logit - all.front().logit);
    }
  }
  std::vector<ScoredLabel> result;
  for (ScoredLabel& s : all) {
    if (static_cast<int32_t>(result.size()) == k) break;
    const double p = loss_ == fasttext::loss_name::softmax
                         ? std::exp(s.logit - all.front().logit) / softmax_sum
                         : 1.0 / (1.0 + std::exp(-s.logit));
    s.score = static_cast<float>(p);
    if (s.score < threshold) break;  // Scores fall with the logits.
    result.push_back(s);
  }
  return result;
}

std::vector<ScoredLabel> LabelScorer::RankByFastText(
    const std::vector<int32_t>& words, int32_t k, float threshold) const {
  fasttext::Predictions predictions;
  predict(k, words, predictions, threshold);
  std::vector<ScoredLabel> result;
  for (const auto& [log_probability, label] : predictions) {
    result.push_back(
        {label, log_probability, std::min(std::exp(log_probability), 1.0f)});
  }
  return result;
}

}  // namespace classifyd::plugins
