// The model card and plots classifyd-train writes beside a classifier it
// built from a user's TSV files: what it was trained on, how, and how well
// it does on the held-out split (top-1, P/R/F1 per label, a reliability
// diagram and a confusion heat map, as SVG files the card links).
//
// Thread-safe (pure functions).
#ifndef CLASSIFYD_MODELS_TOOLS_CLASSIFIER_CARD_H_
#define CLASSIFYD_MODELS_TOOLS_CLASSIFIER_CARD_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "holdout_eval.h"

namespace classifyd::train {

struct CardFacts {
  std::string name;
  uint64_t generation = 0;
  std::vector<std::string> inputs;
  int64_t train_docs = 0;
  int64_t calibration_docs = 0;
  int64_t test_docs = 0;
  std::map<std::string, int64_t> label_docs;  // Over all splits.
  std::string train_flags;
  double train_seconds = 0;
  int64_t model_bytes = 0;
  float min_score = 0;  // The daemon's default min_score.
  std::string model_file;  // Names relative to the card.
  std::string calibration_file;
  std::string reliability_svg;
  std::string confusion_svg;
};

// Markdown of the card.
std::string ModelCard(const CardFacts& facts, const HoldoutEvaluation& eval);

// SVG: share of right top labels against their calibrated score, per tenth.
std::string ReliabilitySvg(const HoldoutEvaluation& eval);

// SVG: held-out documents by gold label (rows) and top label (columns).
std::string ConfusionSvg(const HoldoutEvaluation& eval);

}  // namespace classifyd::train

#endif  // CLASSIFYD_MODELS_TOOLS_CLASSIFIER_CARD_H_
