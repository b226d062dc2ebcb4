#include "eval_metrics.h"

#include <algorithm>
#include <set>

namespace classifyctl {

namespace {

// confusion[true label][predicted label] = documents, as EvalMetrics keeps it.
using ConfusionMatrix = std::map<std::string, std::map<std::string, uint64_t>>;

// Fills the report's document counts and returns, per predicted label, how
// many documents it was predicted for; `labels` gets every label seen.
std::map<std::string, uint64_t> CountDocuments(const ConfusionMatrix& confusion,
                                               EvalMetrics::Report* report,
                                               std::set<std::string>* labels) {
  std::map<std::string, uint64_t> predicted_count;
  for (const auto& [truth, row] : confusion) {
    labels->insert(truth);
    for (const auto& [predicted, count] : row) {
      report->documents += count;
      if (predicted == truth) report->correct += count;
      if (!predicted.empty()) {
        predicted_count[predicted] += count;
        labels->insert(predicted);
      }
    }
  }
  return predicted_count;
}

EvalMetrics::LabelScore ScoreLabel(
    const std::string& label, const ConfusionMatrix& confusion,
    const std::map<std::string, uint64_t>& predicted_count) {
  EvalMetrics::LabelScore score;
  score.label = label;
  uint64_t right = 0;
  if (auto row = confusion.find(label); row != confusion.end()) {
    for (const auto& [predicted, count] : row->second) {
      score.support += count;
      if (predicted == label) right = count;
    }
  }
  if (auto p = predicted_count.find(label); p != predicted_count.end()) {
    score.predicted = p->second;
  }
  if (score.predicted > 0) {
    score.precision = static_cast<double>(right) / score.predicted;
  }
  if (score.support > 0) {
    score.recall = static_cast<double>(right) / score.support;
  }
  if (score.precision + score.recall > 0) {
    score.f1 =
        2 * score.precision * score.recall / (score.precision + score.recall);
  }
  return score;
}

// Each true label's most frequent wrong prediction, most frequent first.
std::vector<EvalMetrics::Confusion> WorstConfusions(
    const ConfusionMatrix& confusion) {
  std::vector<EvalMetrics::Confusion> confusions;
  for (const auto& [truth, row] : confusion) {
    EvalMetrics::Confusion worst;
    worst.label = truth;
    for (const auto& [predicted, count] : row) {
      worst.support += count;
      // Map order makes ties go to the alphabetically first label.
      if (predicted != truth && count > worst.count) {
        worst.predicted_as = predicted;
        worst.count = count;
      }
    }
    if (worst.count > 0) confusions.push_back(worst);
  }
  std::stable_sort(
      confusions.begin(), confusions.end(),
      [](const EvalMetrics::Confusion& a, const EvalMetrics::Confusion& b) {
        return a.count > b.count;
      });
  return confusions;
}

// Adds one document's label sets to `sets`' counts. A label listed or
// returned twice counts once.
void CountLabelSets(const std::vector<std::string>& gold,
                    const std::vector<std::string>& returned,
                    EvalMetrics::LabelSets* sets) {
  const std::set<std::string> listed(gold.begin(), gold.end());
  const std::set<std::string> got(returned.begin(), returned.end());
  sets->returned += got.size();
  sets->listed += listed.size();
  for (const std::string& label : got) sets->right += listed.count(label);
  if (got == listed) ++sets->exact;
}

// The ratios of `sets` over `documents`.
void LabelSetRatios(uint64_t documents, EvalMetrics::LabelSets* sets) {
  if (sets->returned > 0) {
    sets->precision = static_cast<double>(sets->right) / sets->returned;
  }
  if (sets->listed > 0) {
    sets->recall = static_cast<double>(sets->right) / sets->listed;
  }
  if (sets->precision + sets->recall > 0) {
    sets->f1 = 2 * sets->precision * sets->recall /
               (sets->precision + sets->recall);
  }
  if (documents > 0) {
    sets->per_document = static_cast<double>(sets->returned) / documents;
    sets->exact_share = static_cast<double>(sets->exact) / documents;
  }
}

}  // namespace

void EvalMetrics::Add(const std::vector<std::string>& gold,
                      const std::vector<std::string>& returned,
                      bool low_confidence) {
  low_confidence_ += low_confidence ? 1 : 0;
  const std::string predicted = returned.empty() ? "" : returned.front();
  const bool right = !predicted.empty() && std::find(gold.begin(), gold.end(),
                                                     predicted) != gold.end();
  ++confusion_[right ? predicted : gold.front()][predicted];
  CountLabelSets(gold, returned, &label_sets_);
}

EvalMetrics::Report EvalMetrics::Compute() const {
  Report report;
  report.errors = errors_;
  std::set<std::string> labels;
  const std::map<std::string, uint64_t> predicted_count =
      CountDocuments(confusion_, &report, &labels);
  report.low_confidence = low_confidence_;
  if (report.documents > 0) {
    report.accuracy = static_cast<double>(report.correct) / report.documents;
    report.low_confidence_share =
        static_cast<double>(report.low_confidence) / report.documents;
  }

  double f1_sum = 0;
  int with_support = 0;
  for (const std::string& label : labels) {
    report.labels.push_back(ScoreLabel(label, confusion_, predicted_count));
    if (report.labels.back().support > 0) {
      f1_sum += report.labels.back().f1;
      ++with_support;
    }
  }
  if (with_support > 0) report.macro_f1 = f1_sum / with_support;
  std::stable_sort(report.labels.begin(), report.labels.end(),
                   [](const LabelScore& a, const LabelScore& b) {
                     return a.support > b.support;
                   });
  report.confusions = WorstConfusions(confusion_);
  report.label_sets = label_sets_;
  LabelSetRatios(report.documents, &report.label_sets);
  return report;
}

}  // namespace classifyctl
