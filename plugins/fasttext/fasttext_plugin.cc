// The fastText classifier plugin: loads a supervised fastText model (.bin or
// quantised .ftz) and returns its top labels with probabilities, ranked
// by the model's logits (label_scorer.h).
//
// Manifest:
//   plugin = "fasttext"
//   model  = "news-topics/model.ftz"
//   [options]
//   top_k = 5            # labels per document before the host's own top-k
//   threshold = 0.05     # drop labels below this probability
//   label_prefix = "__label__"
//   min_known_words = 0  # fewer words the model knows: no labels
#include <classifyd/plugin_sdk.h>
#include <fasttext/densematrix.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "label_scorer.h"
#include "model_check.h"

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
    top_k_ = static_cast<int32_t>(config.GetInteger("top_k", 5, 1, 1000));
    threshold_ = static_cast<float>(config.GetDouble("threshold", 0.0));
    if (threshold_ < 0 || threshold_ > 1) {
      throw sdk::Error(CLASSIFYD_INVALID_ARGUMENT,
                       "option 'threshold' must be in [0, 1]");
    }
    const std::string label_prefix =
        config.GetString("label_prefix", "__label__");
    min_known_words_ =
        static_cast<int>(config.GetInteger("min_known_words", 0, 0, 1000));

    try {
      scorer_.Load(config.model_path(), label_prefix);
    } catch (const std::exception& e) {
      throw sdk::Error(CLASSIFYD_FAILED_PRECONDITION,
                       "cannot load fastText model '" + config.model_path() +
                           "': " + e.what());
    }
  }

  std::vector<std::string> Labels() const override { return scorer_.labels(); }

  void ClassifyBatch(std::span<const std::string_view> texts,
                     const sdk::ClassifyOptions& options,
                     sdk::ResultWriter& out) override {
    const int32_t k = options.top_k > 0 && options.top_k < uint32_t(top_k_)
                          ? static_cast<int32_t>(options.top_k)
                          : top_k_;
    const float threshold = std::max(threshold_, options.min_score);
    for (size_t i = 0; i < texts.size(); ++i) {
      std::vector<ScoredLabel> ranked;
      try {
        // No token, or too few the model knows: it has nothing to say
        // about the text, and its scores would be confident nonsense.
        int known = 0;
        const std::vector<int32_t> words = scorer_.Words(texts[i], &known);
        if (known < min_known_words_) continue;
        ranked = scorer_.Rank(words, k, threshold);
      } catch (const fasttext::DenseMatrix::EncounteredNaNError& e) {
        // Finite weights whose sums overflow for this document; the others
        // are scored.
        out.SetDocumentError(
            i, CLASSIFYD_INTERNAL,
            std::string("the model cannot score it: ") + e.what());
        continue;
      }
      for (const ScoredLabel& s : ranked) {
        out.AddLabel(i, scorer_.labels()[s.label], s.score);
      }
    }
  }

 private:
  LabelScorer scorer_;
  int32_t top_k_ = 5;
  float threshold_ = 0;
  int min_known_words_ = 0;
};

}  // namespace
}  // namespace classifyd::plugins

CLASSIFYD_PLUGIN(classifyd::plugins::FastTextClassifier, "fasttext", "1.0.0", 0)
