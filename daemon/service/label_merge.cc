#include "service/label_merge.h"

#include <algorithm>

namespace classifyd {
namespace {

// Best first; ties go to the classifier whose name sorts first, so the
// result does not depend on the order classifiers ran in.
bool Better(const LabelVote& a, const LabelVote& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.classifier < b.classifier;
}

// Adds `vote` for `name` to `merged`: a new label, or the better of it and
// the label's current vote wins, the other kept in `also` if it reaches
// min_score.
void AddVote(std::string_view name, const LabelVote& vote, uint32_t rank,
             float min_score, std::vector<MergedLabel>* merged) {
  // Documents carry a handful of labels from a handful of classifiers:
  // linear search beats hashing here.
  auto it = std::find_if(merged->begin(), merged->end(),
                         [&](const MergedLabel& m) { return m.name == name; });
  if (it == merged->end()) {
    merged->push_back({name,
                       vote.score,
                       vote.classifier,
                       vote.generation,
                       vote.evidence,
                       {}});
    merged->back().rank = rank;
    return;
  }
  LabelVote current{it->score, it->classifier, it->generation, it->evidence};
  LabelVote loser = vote;
  if (Better(vote, current)) {
    it->score = vote.score;
    it->classifier = vote.classifier;
    it->generation = vote.generation;
    it->evidence = vote.evidence;
    it->rank = rank;
    loser = current;
  }
  if (loser.score >= min_score) it->also.push_back(loser);
}

// Labels best first, each one's `also` too. Ties go to the label its
// classifier ranked higher, then by name, so the order does not depend on
// the order classifiers ran in.
void SortMerged(std::vector<MergedLabel>* merged) {
  for (MergedLabel& m : *merged) {
    std::sort(m.also.begin(), m.also.end(), Better);
  }
  std::sort(merged->begin(), merged->end(),
            [](const MergedLabel& a, const MergedLabel& b) {
              if (a.score != b.score) return a.score > b.score;
              if (a.rank != b.rank) return a.rank < b.rank;
              if (a.name != b.name) return a.name < b.name;
              return a.classifier < b.classifier;
            });
}

}  // namespace

void MergeLabels(std::span<const LabelSource> sources, uint32_t top_k,
                 float min_score, std::vector<MergedLabel>* merged) {
  merged->clear();
  for (const LabelSource& source : sources) {
    if (source.labels == nullptr) continue;
    uint32_t rank = 0;
    for (const PluginLabel& label : *source.labels) {
      ++rank;
      const LabelVote vote{
          static_cast<float>(
              std::min(1.0, static_cast<double>(label.score) * source.weight)),
          source.classifier, source.generation, &label.evidence};
      AddVote(label.name, vote, rank, min_score, merged);
    }
  }
  SortMerged(merged);
  // Sorted best first, so the labels under min_score are a suffix.
  auto first_low =
      std::find_if(merged->begin(), merged->end(),
                   [&](const MergedLabel& m) { return m.score < min_score; });
  if (first_low == merged->begin() && !merged->empty()) {
    merged->resize(1);
    merged->front().low_confidence = true;
    return;
  }
  merged->erase(first_low, merged->end());
  if (merged->size() > top_k) merged->resize(top_k);
}

}  // namespace classifyd
