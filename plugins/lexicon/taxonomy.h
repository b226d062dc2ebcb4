// The classifyd topic taxonomy (models/TAXONOMY.md): the only label names a
// lexicon rules file may use.
#ifndef CLASSIFYD_PLUGINS_LEXICON_TAXONOMY_H_
#define CLASSIFYD_PLUGINS_LEXICON_TAXONOMY_H_

#include <algorithm>
#include <array>
#include <string_view>

namespace classifyd::lexicon {

inline constexpr std::array<std::string_view, 21> kTaxonomy = {
    "fraud",         "disaster", "diplomacy",   "finance",     "politics",
    "military",      "society",  "sports",      "technology",  "science",
    "entertainment", "health",   "weather",     "education",   "culture",
    "travel",        "autos",    "real_estate", "agriculture", "games",
    "lifestyle",
};

inline bool IsTaxonomyLabel(std::string_view label) {
  return std::find(kTaxonomy.begin(), kTaxonomy.end(), label) !=
         kTaxonomy.end();
}

}  // namespace classifyd::lexicon

#endif  // CLASSIFYD_PLUGINS_LEXICON_TAXONOMY_H_
