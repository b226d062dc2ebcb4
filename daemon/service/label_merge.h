// Merges the labels several classifiers gave one document into the single
// ranked list a client receives.
//
// Rule: each classifier's scores (calibrated already, if its manifest names
// a calibration) are multiplied by its manifest weight (capped at 1); for a
// label given by several classifiers the highest weighted score wins and keeps
// its classifier and evidence (per-label max). The other classifiers that gave
// the label at or above min_score are kept beside it (`also`, best first), so a
// rules classifier's evidence is not lost when a statistical one scored the
// same label higher. Labels under min_score are dropped; the rest are sorted by
// score, best first, and cut to top_k. Ties go to the label its classifier
// ranked higher (plugins list labels best first, and a saturated float such
// as 1.0f can hide an order the plugin still knew), then by label name, then
// classifier name.
//
// Never silent: when no label reaches min_score but some classifier gave
// any label, the result is exactly the best of them (same order as above),
// flagged `low_confidence`, so a document the classifiers are unsure about
// is told apart from one they could say nothing about. Only no label at all
// gives an empty result.
//
// Thread-safe (pure function; a caller's `merged` is its own).
#ifndef CLASSIFYD_DAEMON_SERVICE_LABEL_MERGE_H_
#define CLASSIFYD_DAEMON_SERVICE_LABEL_MERGE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/classifier.h"

namespace classifyd {

// One classifier's labels for the document, with what the merge needs to
// know about that classifier.
struct LabelSource {
  std::string_view classifier;  // Classifier name.
  uint64_t generation = 0;
  double weight = 1.0;
  const std::vector<PluginLabel>* labels = nullptr;
};

// One classifier's vote for a label, after its weight.
struct LabelVote {
  float score = 0;
  std::string_view classifier;
  uint64_t generation = 0;
  const std::vector<std::string>* evidence = nullptr;  // Never null.
};

struct MergedLabel {
  std::string_view name;  // The winning PluginLabel's name.
  float score = 0;
  std::string_view classifier;
  uint64_t generation = 0;
  const std::vector<std::string>* evidence = nullptr;  // Never null.
  // The other classifiers that gave this label with a score of at least
  // min_score, best first (ties by classifier name).
  std::vector<LabelVote> also;
  // The label is under min_score: the only one, given as the best guess.
  bool low_confidence = false;
  // 1-based position of the label in the winning classifier's own list.
  uint32_t rank = 0;
};

// Overwrites *merged with the merge of `sources`, keeping its capacity, so
// a caller merging many documents allocates once rather than per document.
// REQUIRES: the sources' strings and label vectors outlive *merged's use.
void MergeLabels(std::span<const LabelSource> sources, uint32_t top_k,
                 float min_score, std::vector<MergedLabel>* merged);

// The merge of `sources` in a vector of its own.
// REQUIRES: the sources' strings and label vectors outlive the result.
inline std::vector<MergedLabel> MergeLabels(
    std::span<const LabelSource> sources, uint32_t top_k, float min_score) {
  std::vector<MergedLabel> merged;
  MergeLabels(sources, top_k, min_score, &merged);
  return merged;
}

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_LABEL_MERGE_H_
