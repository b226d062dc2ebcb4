#include "service/label_merge.h"

#include <algorithm>

namespace classifyd {

std::vector<MergedLabel> MergeLabels(std::span<const LabelSource> sources,
                                     uint32_t top_k, float min_score) {
  std::vector<MergedLabel> merged;
  for (const LabelSource& source : sources) {
    if (source.labels == nullptr) continue;
    for (const PluginLabel& label : *source.labels) {
      const float score = static_cast<float>(
          std::min(1.0, static_cast<double>(label.score) * source.weight));
      auto it = std::find_if(merged.begin(), merged.end(),
                             [&](const MergedLabel& m) {
                               return m.name == label.name;
                             });
      if (it == merged.end()) {
        merged.push_back({label.name, score, source.classifier,
                          source.generation, &label.evidence});
      } else if (score > it->score ||
                 (score == it->score && source.classifier < it->classifier)) {
        *it = {label.name, score, source.classifier, source.generation,
               &label.evidence};
      }
    }
  }
  std::erase_if(merged,
                [&](const MergedLabel& m) { return m.score < min_score; });
  std::sort(merged.begin(), merged.end(),
            [](const MergedLabel& a, const MergedLabel& b) {
              if (a.score != b.score) return a.score > b.score;
              if (a.name != b.name) return a.name < b.name;
              return a.classifier < b.classifier;
            });
  if (merged.size() > top_k) merged.resize(top_k);
  return merged;
}

}  // namespace classifyd
