// Scores a server's labels against a labelled file for `classifyctl eval`.
//
// Top label: a document may list several acceptable labels; predicting any
// of them first counts as right. To get per-label precision and recall from
// that, each document is given one effective true label: the predicted
// label when it is acceptable, else the first listed one. The top-label
// figures are then plain single-label scoring over those (true, predicted)
// pairs, so accuracy, recall and the confusion summary agree with each
// other.
//
// Label sets: every label a response carries against every label the
// document lists, counted over the whole file (micro-averaged), for
// clients that use more than the first label.
#ifndef CLASSIFYD_CLIENTS_CLASSIFYCTL_EVAL_METRICS_H_
#define CLASSIFYD_CLIENTS_CLASSIFYCTL_EVAL_METRICS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace classifyctl {

class EvalMetrics {
 public:
  struct LabelScore {
    std::string label;
    double precision = 0;  // Right / predicted; 0 if never predicted.
    double recall = 0;     // Right / support; 0 if no support.
    double f1 = 0;
    uint64_t support = 0;    // Documents with this effective true label.
    uint64_t predicted = 0;  // Documents whose top label this was.
  };
  // The most common wrong top label for one true label.
  struct Confusion {
    std::string label;
    std::string predicted_as;  // Empty: no label at all.
    uint64_t count = 0;
    uint64_t support = 0;
  };
  // Every returned label against every listed label.
  struct LabelSets {
    uint64_t returned = 0;  // Labels in the responses.
    uint64_t listed = 0;    // Labels in the file.
    // Returned labels listed for their document (so also the listed
    // labels returned for it).
    uint64_t right = 0;
    uint64_t exact = 0;     // Documents whose returned set is their list.
    double precision = 0;   // right / returned; 0 if none returned.
    double recall = 0;      // right / listed.
    double f1 = 0;
    double per_document = 0;  // returned / documents.
    double exact_share = 0;   // exact / documents.
  };
  struct Report {
    uint64_t documents = 0;  // Scored, errors excluded.
    uint64_t errors = 0;
    uint64_t correct = 0;
    double accuracy = 0;
    // Documents whose top label was a best guess under the minimum score
    // (Label.low_confidence); they are scored like the others.
    uint64_t low_confidence = 0;
    double low_confidence_share = 0;  // Of `documents`.
    // Mean F1 over the labels with support (those the file contains).
    double macro_f1 = 0;
    // Every true or predicted label, by support (descending), then name.
    std::vector<LabelScore> labels;
    // Per true label with mistakes, by count (descending), then name.
    std::vector<Confusion> confusions;
    LabelSets label_sets;
  };

  // `gold`: the acceptable labels (at least one); `returned`: the
  // response's labels, best first, empty when the document got none;
  // `low_confidence`: the top label was under the minimum score.
  void Add(const std::vector<std::string>& gold,
           const std::vector<std::string>& returned,
           bool low_confidence = false);
  // A document the server could not classify.
  void AddError() { ++errors_; }

  Report Compute() const;

 private:
  // confusion_[true label][predicted label] = documents.
  std::map<std::string, std::map<std::string, uint64_t>> confusion_;
  uint64_t errors_ = 0;
  uint64_t low_confidence_ = 0;
  LabelSets label_sets_;  // Counts only; Compute() derives the ratios.
};

}  // namespace classifyctl

#endif  // CLASSIFYD_CLIENTS_CLASSIFYCTL_EVAL_METRICS_H_
