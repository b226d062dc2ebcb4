#include "holdout_eval.h"

#include <algorithm>
#include <cmath>

namespace classifyd::train {
namespace {

struct Ranked {
  std::string label;
  float calibrated = 0;
  size_t model_rank = 0;
};

bool Contains(const std::vector<std::string>& labels,
              const std::string& label) {
  return std::find(labels.begin(), labels.end(), label) != labels.end();
}

}  // namespace

double HoldoutEvaluation::CalibrationError() const {
  double error = 0;
  for (const ReliabilityBin& bin : reliability) {
    if (bin.docs == 0 || docs == 0) continue;
    const double gap = std::abs(bin.score_sum / bin.docs -
                                static_cast<double>(bin.correct) / bin.docs);
    error += gap * bin.docs / docs;
  }
  return error;
}

HoldoutEvaluation EvaluateHoldout(const plugins::LabelScorer& scorer,
                                  const Calibration& calibration,
                                  const std::vector<Example>& examples,
                                  float min_score) {
  HoldoutEvaluation result;
  const auto all = static_cast<int32_t>(scorer.labels().size());
  for (const Example& example : examples) {
    ++result.docs;
    std::vector<Ranked> ranked;
    for (const plugins::ScoredLabel& s :
         scorer.Rank(scorer.Words(example.text), all, 0.0f)) {
      const std::string& label = scorer.labels()[s.label];
      ranked.push_back(
          {label, calibration.Apply(label, s.score), ranked.size()});
    }
    std::vector<std::string> top;
    // A right document counts on the diagonal; a wrong one under its first
    // label.
    std::string gold = example.labels.front();
    if (!ranked.empty()) {
      if (Contains(example.labels, ranked.front().label)) {
        ++result.raw_top1_correct;
      }
      std::stable_sort(ranked.begin(), ranked.end(),
                       [](const Ranked& a, const Ranked& b) {
                         return a.calibrated > b.calibrated;
                       });
      const Ranked& best = ranked.front();
      top.push_back(best.label);
      const bool right = Contains(example.labels, best.label);
      result.top1_correct += right;
      if (right) gold = best.label;
      result.labelled += best.calibrated >= min_score;
      ReliabilityBin& bin = result.reliability[std::min<size_t>(
          static_cast<size_t>(best.calibrated * 10), 9)];
      ++bin.docs;
      bin.correct += right;
      bin.score_sum += best.calibrated;
    }
    result.top1.Add(example.labels, top);
    ++result.confusion[{gold, top.empty() ? "(none)" : top.front()}];
  }
  return result;
}

}  // namespace classifyd::train
