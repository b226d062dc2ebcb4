// Precision, recall and F1 per label for a decision rule ("the top label",
// "the top k above a threshold"): the one implementation classifyd-train's
// `eval` and its own-classifier model cards use.
//
// Thread-compatible: one RuleMetrics per thread.
#ifndef CLASSIFYD_MODELS_TOOLS_LABEL_METRICS_H_
#define CLASSIFYD_MODELS_TOOLS_LABEL_METRICS_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace classifyd::train {

struct LabelCounts {
  int64_t support = 0;    // Documents that have the label.
  int64_t predicted = 0;  // Documents the model gave the label.
  int64_t correct = 0;    // Both.

  double Precision() const {
    return predicted == 0 ? 0.0 : static_cast<double>(correct) / predicted;
  }
  double Recall() const {
    return support == 0 ? 0.0 : static_cast<double>(correct) / support;
  }
  double F1() const {
    const double p = Precision();
    const double r = Recall();
    return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
  }
};

// Counts for one decision rule ("top-1", or "top-k above a threshold").
struct RuleMetrics {
  std::map<std::string, LabelCounts> labels;
  int64_t emitted = 0;       // Labels given in total.
  int64_t docs_without = 0;  // Documents that got no label.
  int64_t docs_exact = 0;    // Predicted set == gold set.

  void Add(const std::vector<std::string>& gold,
           const std::vector<std::string>& predicted) {
    for (const std::string& label : gold) ++labels[label].support;
    for (const std::string& label : predicted) {
      LabelCounts& counts = labels[label];
      ++counts.predicted;
      if (std::find(gold.begin(), gold.end(), label) != gold.end()) {
        ++counts.correct;
      }
    }
    emitted += static_cast<int64_t>(predicted.size());
    if (predicted.empty()) ++docs_without;
    std::set<std::string> a(gold.begin(), gold.end());
    std::set<std::string> b(predicted.begin(), predicted.end());
    if (a == b) ++docs_exact;
  }

  // Mean F1 over the labels that occur in the gold data (support > 0).
  // Labels the model emits but the set never has only lower the precision
  // of nothing; they show up as lost recall on the gold labels instead.
  double MacroF1() const {
    double sum = 0;
    int n = 0;
    for (const auto& [label, counts] : labels) {
      if (counts.support == 0) continue;
      sum += counts.F1();
      ++n;
    }
    return n == 0 ? 0.0 : sum / n;
  }

  LabelCounts Micro() const {
    LabelCounts total;
    for (const auto& [label, counts] : labels) {
      total.support += counts.support;
      total.predicted += counts.predicted;
      total.correct += counts.correct;
    }
    return total;
  }
};

}  // namespace classifyd::train

#endif  // CLASSIFYD_MODELS_TOOLS_LABEL_METRICS_H_
