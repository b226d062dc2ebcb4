// Scores a classifier on labelled documents it was not trained on, the way
// the daemon serves it: labels ranked by the model (label_scorer.h), raw
// scores mapped through the calibration (the daemon's own Calibration), then
// ordered by calibrated score with ties kept in the model's order, as the
// daemon's merge does. A document is right when its top label is one of its
// labels.
//
// Thread-compatible.
#ifndef CLASSIFYD_MODELS_TOOLS_HOLDOUT_EVAL_H_
#define CLASSIFYD_MODELS_TOOLS_HOLDOUT_EVAL_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "label_metrics.h"
#include "label_scorer.h"
#include "plugin/calibration.h"
#include "tsv_data.h"

namespace classifyd::train {

struct ReliabilityBin {
  int64_t docs = 0;
  int64_t correct = 0;
  double score_sum = 0;  // Of the top labels' calibrated scores.
};

struct HoldoutEvaluation {
  int64_t docs = 0;
  int64_t top1_correct = 0;
  int64_t raw_top1_correct = 0;  // Ranked by raw scores, no calibration.
  int64_t labelled = 0;          // Top calibrated score >= min_score.
  RuleMetrics top1;
  // (gold label, top label) -> documents; the gold label is the top label
  // when that is right, else the document's first label.
  std::map<std::pair<std::string, std::string>, int64_t> confusion;
  // The top label's calibrated score in tenths: [0, 0.1), ... [0.9, 1].
  std::array<ReliabilityBin, 10> reliability{};

  double Accuracy() const {
    return docs == 0 ? 0.0 : static_cast<double>(top1_correct) / docs;
  }
  // Expected calibration error of the top label over the bins.
  double CalibrationError() const;
};

HoldoutEvaluation EvaluateHoldout(const plugins::LabelScorer& scorer,
                                  const Calibration& calibration,
                                  const std::vector<Example>& examples,
                                  float min_score);

}  // namespace classifyd::train

#endif  // CLASSIFYD_MODELS_TOOLS_HOLDOUT_EVAL_H_
