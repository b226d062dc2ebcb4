#include "predictor.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "text/tokenizer.h"

namespace classifyd::bench {

Model::Model(const std::string& path, const std::string& label_prefix) {
  model_.loadModel(path);
  auto dictionary = model_.getDictionary();
  if (dictionary->nlabels() == 0) {
    throw std::runtime_error("'" + path + "' is not a supervised model");
  }
  for (int32_t i = 0; i < dictionary->nlabels(); ++i) {
    std::string label = dictionary->getLabel(i);
    if (label.compare(0, label_prefix.size(), label_prefix) == 0) {
      label.erase(0, label_prefix.size());
    }
    labels_.push_back(std::move(label));
  }
}

const std::vector<std::pair<const std::string*, float>>& Predictor::Classify(
    std::string_view text) {
  labels_.clear();
  std::string line = text::ToFastTextLine(text);
  if (line.empty()) return labels_;
  line.push_back('\n');  // As in training: fastText's end-of-sentence token.
  in_.clear();
  in_.str(std::move(line));
  words_.clear();
  label_ids_.clear();
  model_->fasttext().getDictionary()->getLine(in_, words_, label_ids_);
  predictions_.clear();
  model_->fasttext().predict(top_k_, words_, predictions_, threshold_);
  for (const auto& [log_probability, label_id] : predictions_) {
    labels_.emplace_back(&model_->label(label_id),
                         std::min(std::exp(log_probability), 1.0f));
  }
  return labels_;
}

}  // namespace classifyd::bench
