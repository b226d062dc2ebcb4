// A compiled rules file: every term and pattern of every label in one
// Hyperscan database, scanned once per document.
//
// Classification of one document:
//  1. Normalise it as the rules' terms were (NFKC + case folding, the
//     fastText tokeniser's Normalize()), keeping the offset mapping.
//  2. Scan the normalised text; every match has a rule, a start and an end.
//  3. Per label, drop each match that lies inside a match of an `ignore`
//     rule (so "大使" inside "扩大使用" does not count) or inside another
//     match of a rule with at least its weight (so "诈骗" 0.8 inside
//     "电信诈骗" 0.95 does not count twice; "赌诈" 0.95 inside a 0.9
//     pattern "打击…诈" still counts). "Inside" includes the same span; then
//     the rule ranked first wins (ignore rules, higher weight, file order).
//  4. A label's score is 1 - prod(1 - w) over the distinct scoring rules with
//     a match left (each rule counts once however often it matches). The
//     label is given when its score >= its min_score and none of its
//     `exclude` rules matched anywhere in the document.
//  5. Evidence: the distinct texts of the counted matches, as they appear
//     in the original document, in order of first appearance.
//
// Thread-safe: Classify() may run concurrently; each call borrows a
// Hyperscan scratch space from a pool that grows to the peak concurrency.
#ifndef CLASSIFYD_PLUGINS_LEXICON_LEXICON_H_
#define CLASSIFYD_PLUGINS_LEXICON_LEXICON_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules.h"

namespace classifyd::lexicon {

struct LabelResult {
  std::string label;
  float score = 0;
  std::vector<std::string> evidence;
};

// Counts of what a Lexicon holds (for logs and the CLI).
struct LexiconStats {
  size_t labels = 0;
  size_t terms = 0;
  size_t patterns = 0;
  size_t excludes = 0;
  size_t ignores = 0;
};

class Lexicon {
 public:
  // Compiles `rules`. Throws RulesError naming the rule Hyperscan rejected
  // (file, line, label, rule), or if this CPU cannot run Hyperscan.
  explicit Lexicon(RuleSet rules);
  ~Lexicon();
  Lexicon(const Lexicon&) = delete;
  Lexicon& operator=(const Lexicon&) = delete;

  // Labels with rules, in the order of the rules file.
  std::vector<std::string> Labels() const;
  const LexiconStats& stats() const { return stats_; }

  // The labels `utf8` gets, best score first (ties by label name), each
  // with at most `max_evidence` evidence strings. Thread-safe. Throws
  // std::runtime_error if Hyperscan fails (out of memory, text >= 4 GiB).
  std::vector<LabelResult> Classify(std::string_view utf8,
                                    size_t max_evidence) const;

 private:
  struct Compiled;
  class ScratchPool;

  RuleSet rules_;
  LexiconStats stats_;
  std::unique_ptr<Compiled> compiled_;
  std::unique_ptr<ScratchPool> scratch_;
};

}  // namespace classifyd::lexicon

#endif  // CLASSIFYD_PLUGINS_LEXICON_LEXICON_H_
