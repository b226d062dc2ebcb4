// The lexicon classifier plugin: labels documents with hand-written rules
// (terms and regular expressions with weights, exclusions, a minimum score
// per label) compiled with Hyperscan, and reports the matched terms as
// evidence. Format and scoring: models/lexicon/README.md and lexicon.h.
//
// Manifest:
//   plugin = "lexicon"
//   model  = "../lexicon/rules.toml"   # the rules file (required)
//   [options]
//   max_evidence = 10                  # evidence strings per label, 1..100
#include <classifyd/plugin_sdk.h>

#include <climits>
#include <string>
#include <vector>

#include "lexicon.h"
#include "rules.h"

namespace classifyd::plugins {
namespace {

class LexiconClassifier final : public sdk::Classifier {
 public:
  explicit LexiconClassifier(const sdk::InstanceConfig& config) {
    for (const auto& [key, value] : config.options()) {
      if (key != "max_evidence") {
        throw sdk::Error(CLASSIFYD_INVALID_ARGUMENT,
                         "unknown option '" + key +
                             "' for the lexicon plugin (expected "
                             "max_evidence)");
      }
    }
    max_evidence_ =
        static_cast<size_t>(config.GetInteger("max_evidence", 10, 1, 100));
    if (config.model_path().empty()) {
      throw sdk::Error(CLASSIFYD_INVALID_ARGUMENT,
                       "the lexicon plugin needs its rules file as "
                       "`model = \"...\"` in the manifest");
    }
    try {
      lexicon_ = std::make_unique<lexicon::Lexicon>(
          lexicon::LoadRules(config.model_path()));
    } catch (const lexicon::RulesError& e) {
      throw sdk::Error(CLASSIFYD_FAILED_PRECONDITION, e.what());
    }
    const lexicon::LexiconStats& s = lexicon_->stats();
    config.Log(CLASSIFYD_LOG_INFO,
               "rules '" + config.model_path() +
                   "': " + std::to_string(s.labels) + " labels, " +
                   std::to_string(s.terms) + " terms, " +
                   std::to_string(s.patterns) + " patterns, " +
                   std::to_string(s.excludes) + " exclusions, " +
                   std::to_string(s.ignores) + " ignore rules");
    labels_ = lexicon_->Labels();
  }

  std::vector<std::string> Labels() const override { return labels_; }

  void ClassifyBatch(std::span<const std::string_view> texts,
                     const sdk::ClassifyOptions& options,
                     sdk::ResultWriter& out) override {
    std::vector<std::string_view> evidence;
    for (size_t i = 0; i < texts.size(); ++i) {
      if (texts[i].size() >= UINT_MAX) {
        out.SetDocumentError(i, CLASSIFYD_RESOURCE_EXHAUSTED,
                             "document too large for the lexicon plugin");
        continue;
      }
      std::vector<lexicon::LabelResult> labels =
          lexicon_->Classify(texts[i], max_evidence_);
      size_t given = 0;
      for (const lexicon::LabelResult& label : labels) {  // Best first.
        if (options.top_k > 0 && given == options.top_k) break;
        if (label.score < options.min_score) break;
        evidence.assign(label.evidence.begin(), label.evidence.end());
        out.AddLabel(i, label.label, label.score, evidence);
        ++given;
      }
    }
  }

 private:
  std::unique_ptr<lexicon::Lexicon> lexicon_;
  std::vector<std::string> labels_;
  size_t max_evidence_ = 10;
};

}  // namespace
}  // namespace classifyd::plugins

CLASSIFYD_PLUGIN(classifyd::plugins::LexiconClassifier, "lexicon", "1.0.0",
                 CLASSIFYD_CAP_EVIDENCE)
