// The fastText classifier plugin: loads a supervised fastText model (.bin or
// quantised .ftz) and returns its top labels with probabilities.
//
// Manifest:
//   plugin = "fasttext"
//   model  = "news-topics/model.ftz"
//   [options]
//   top_k = 5            # labels per document before the host's own top-k
//   threshold = 0.05     # drop labels below this probability
//   label_prefix = "__label__"
#include <classifyd/plugin_sdk.h>
#include <fasttext/fasttext.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "model_check.h"
#include "text/tokenizer.h"

namespace classifyd::plugins {
namespace {

class FastTextClassifier final : public sdk::Classifier {
 public:
  explicit FastTextClassifier(const sdk::InstanceConfig& config) {
    if (config.model_path().empty()) {
      throw sdk::Error(CLASSIFYD_INVALID_ARGUMENT,
                       "the fasttext plugin needs `model = \"...\"` in the "
                       "manifest");
    }
    std::string problem = CheckFastTextModelFile(config.model_path());
    if (!problem.empty()) {
      throw sdk::Error(CLASSIFYD_FAILED_PRECONDITION, problem);
    }
    const double top_k = config.GetDouble("top_k", 5);
    if (top_k < 1 || top_k > 1000 || top_k != std::floor(top_k)) {
      throw sdk::Error(CLASSIFYD_INVALID_ARGUMENT,
                       "option 'top_k' must be an integer in [1, 1000]");
    }
    top_k_ = static_cast<int32_t>(top_k);
    threshold_ = static_cast<float>(config.GetDouble("threshold", 0.0));
    if (threshold_ < 0 || threshold_ > 1) {
      throw sdk::Error(CLASSIFYD_INVALID_ARGUMENT,
                       "option 'threshold' must be in [0, 1]");
    }
    label_prefix_ = config.GetString("label_prefix", "__label__");

    try {
      model_.loadModel(config.model_path());
    } catch (const std::exception& e) {
      throw sdk::Error(CLASSIFYD_FAILED_PRECONDITION,
                       "cannot load fastText model '" + config.model_path() +
                           "': " + e.what());
    }
    auto dictionary = model_.getDictionary();
    if (dictionary->nlabels() == 0) {
      throw sdk::Error(CLASSIFYD_FAILED_PRECONDITION,
                       "model '" + config.model_path() +
                           "' is not a supervised model (it has no labels)");
    }
    for (int32_t i = 0; i < dictionary->nlabels(); ++i) {
      labels_.push_back(StripPrefix(dictionary->getLabel(i)));
    }
  }

  std::vector<std::string> Labels() const override { return labels_; }

  void ClassifyBatch(std::span<const std::string_view> texts,
                     const sdk::ClassifyOptions& options,
                     sdk::ResultWriter& out) override {
    const int32_t k = options.top_k > 0 && options.top_k < uint32_t(top_k_)
                          ? static_cast<int32_t>(options.top_k)
                          : top_k_;
    const float threshold = std::max(threshold_, options.min_score);
    auto dictionary = model_.getDictionary();
    std::vector<int32_t> words;
    std::vector<int32_t> labels;
    fasttext::Predictions predictions;
    std::istringstream in;
    for (size_t i = 0; i < texts.size(); ++i) {
      std::string line = text::ToFastTextLine(texts[i]);
      if (line.empty()) continue;  // Nothing to classify: no labels.
      // Training lines end with a newline, which fastText turns into an
      // end-of-sentence token; add it so serving sees the same input.
      line.push_back('\n');
      in.clear();
      in.str(std::move(line));
      words.clear();
      labels.clear();
      dictionary->getLine(in, words, labels);
      predictions.clear();
      model_.predict(k, words, predictions, threshold);
      for (const auto& [log_probability, label_id] : predictions) {
        const float p = std::exp(log_probability);
        out.AddLabel(i, labels_[label_id], std::min(p, 1.0f));
      }
    }
  }

 private:
  std::string StripPrefix(const std::string& label) const {
    if (label.compare(0, label_prefix_.size(), label_prefix_) == 0) {
      return label.substr(label_prefix_.size());
    }
    return label;
  }

  fasttext::FastText model_;
  std::vector<std::string> labels_;
  int32_t top_k_ = 5;
  float threshold_ = 0;
  std::string label_prefix_;
};

}  // namespace
}  // namespace classifyd::plugins

CLASSIFYD_PLUGIN(classifyd::plugins::FastTextClassifier, "fasttext", "1.0.0",
                 0)
