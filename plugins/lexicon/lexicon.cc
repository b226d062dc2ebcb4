#include "lexicon.h"

#include <hs/hs.h>
#include <unicode/edits.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <functional>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#include "text/tokenizer.h"

namespace classifyd::lexicon {
namespace {

// A term as a Hyperscan expression that matches exactly its text: every
// ASCII character that is not a letter or digit is escaped; UTF-8 sequences
// of other characters are literals in HS_FLAG_UTF8 mode.
std::string EscapeLiteral(std::string_view term) {
  std::string out;
  out.reserve(term.size() * 2);
  for (char ch : term) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9');
    if (c < 0x80 && !alnum) out.push_back('\\');
    out.push_back(ch);
  }
  return out;
}

unsigned FlagsFor(const Rule& rule) {
  unsigned flags = 0;
  if (rule.kind == RuleKind::kPattern) {
    // Documents are case-folded; caseless lets a pattern say "BRICS" too.
    flags |= HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_CASELESS | HS_FLAG_DOTALL;
  }
  // A term is a byte string (already normalised like the documents), so it
  // needs no UTF-8 mode, which only makes compiling slower.
  if (rule.role == RuleRole::kExclude) {
    flags |= HS_FLAG_SINGLEMATCH;  // A veto needs no position.
  } else if (rule.kind == RuleKind::kPattern) {
    // Where the match starts. (A term starts its length before its end;
    // asking Hyperscan for that too makes compiling several times slower.)
    flags |= HS_FLAG_SOM_LEFTMOST;
  }
  return flags;
}

// One match of a scoring or ignore rule in the normalised text.
struct Occurrence {
  uint32_t rule;  // index into Compiled::rules
  uint32_t from;
  uint32_t to;
};

// Replaces the bytes of ill-formed UTF-8 sequences with spaces (same length,
// so offsets stay valid): Hyperscan's UTF-8 mode must not see them.
void ReplaceInvalidUtf8(std::string* s) {
  const int32_t length = static_cast<int32_t>(s->size());
  char* data = s->data();
  int32_t i = 0;
  while (i < length) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(data, i, length, c);
    if (c < 0) std::fill(data + start, data + i, ' ');
  }
}

// Maps byte ranges of the normalised text back onto the original.
class OffsetMap {
 public:
  OffsetMap(const icu::Edits& edits, bool identity)
      : edits_(edits), identity_(identity) {}

  // [from, to) in the normalised text -> the smallest range of the
  // original that produced it; nullopt-like {0, 0} if ICU cannot say.
  std::pair<size_t, size_t> ToOriginal(size_t from, size_t to) const {
    if (identity_) return {from, to};
    UErrorCode status = U_ZERO_ERROR;
    icu::Edits::Iterator it = edits_.getFineIterator();
    if (!it.findDestinationIndex(static_cast<int32_t>(from), status) ||
        U_FAILURE(status)) {
      return {0, 0};
    }
    const size_t start =
        it.hasChange() ? it.sourceIndex()
                       : it.sourceIndex() + (from - it.destinationIndex());
    if (!it.findDestinationIndex(static_cast<int32_t>(to - 1), status) ||
        U_FAILURE(status)) {
      return {0, 0};
    }
    const size_t end = it.hasChange()
                           ? it.sourceIndex() + it.oldLength()
                           : it.sourceIndex() + (to - it.destinationIndex());
    return {start, end};
  }

 private:
  const icu::Edits& edits_;
  bool identity_;
};

// Counts `rule` in `stats` by what it does.
void CountRule(const Rule& rule, LexiconStats* stats) {
  switch (rule.role) {
    case RuleRole::kScore:
      ++(rule.kind == RuleKind::kTerm ? stats->terms : stats->patterns);
      break;
    case RuleRole::kExclude:
      ++stats->excludes;
      break;
    case RuleRole::kIgnore:
      ++stats->ignores;
      break;
  }
}

// Prefix maximum (Fenwick tree) over strengths of the earlier matches'
// ends: FurthestEnd(s) = the furthest end among matches with strength <= s.
class EndsByStrength {
 public:
  explicit EndsByStrength(uint32_t strengths) : ends_(strengths + 1) {}

  void Clear() { std::fill(ends_.begin(), ends_.end(), -1); }

  int64_t FurthestEnd(uint32_t strength) const {
    int64_t best = -1;
    for (size_t k = strength + 1; k > 0; k -= k & (~k + 1)) {
      best = std::max(best, ends_[k]);
    }
    return best;
  }

  void Add(uint32_t strength, int64_t end) {
    for (size_t k = strength + 1; k < ends_.size(); k += k & (~k + 1)) {
      ends_[k] = std::max(ends_[k], end);
    }
  }

 private:
  std::vector<int64_t> ends_;
};

// The scoring matches of one label that lie inside no stronger match.
struct LabelMatches {
  uint32_t label = 0;
  std::vector<uint32_t> rules;  // Each matched rule once, in match order.
  std::vector<std::pair<uint32_t, uint32_t>> spans;  // In the normalised text.
};

// Up to `max_evidence` distinct texts of `spans`, taken from the original
// document where ICU can map them back, else from the normalised `text`.
std::vector<std::string> Evidence(
    const std::vector<std::pair<uint32_t, uint32_t>>& spans,
    const OffsetMap& offsets, std::string_view utf8, const std::string& text,
    size_t max_evidence) {
  std::vector<std::string> evidence;
  for (const auto& [from, to] : spans) {
    if (evidence.size() >= max_evidence) break;
    auto [start, end] = offsets.ToOriginal(from, to);
    std::string piece = start < end && end <= utf8.size()
                            ? std::string(utf8.substr(start, end - start))
                            : text.substr(from, to - from);
    if (std::find(evidence.begin(), evidence.end(), piece) == evidence.end()) {
      evidence.push_back(std::move(piece));
    }
  }
  return evidence;
}

}  // namespace

// The database and, for each Hyperscan expression id, its rule.
struct Lexicon::Compiled {
  struct FlatRule {
    uint32_t label;  // index into RuleSet::labels
    const Rule* rule;
    uint32_t rank;  // order among rules matching the same span
    // 0 for ignore rules, else 1 + the rank of its weight among the distinct
    // weights, highest first: a match is dropped inside a match of a rule
    // with strength <= its own.
    uint32_t strength;
    // A term's length in bytes (its matches start this far before their
    // end); 0 for patterns, whose start Hyperscan reports.
    uint32_t literal_length;
  };
  std::vector<FlatRule> rules;
  uint32_t strengths = 1;  // number of distinct strengths
  hs_database_t* db = nullptr;

  ~Compiled() { hs_free_database(db); }

  // Sets each rule's rank and strength, and `strengths`.
  void RankRules();
  // Compiles one expression per rule into `db`. Throws RulesError, naming
  // the rule in `set` that Hyperscan rejects.
  void Build(const std::vector<std::string>& expressions,
             const std::vector<unsigned>& flags, const RuleSet& set);
  // The scoring and ignore matches in `text`; sets vetoed[label] for each
  // label an exclude rule matched.
  std::vector<Occurrence> Scan(const std::string& text, ScratchPool* pool,
                               std::vector<char>* vetoed) const;
  // Per label: by start, longer first, better rank first.
  void SortOccurrences(std::vector<Occurrence>* occurrences) const;
  // The matches of the label of occurrences[*i] (sorted), moving *i past
  // them. A rule counts once per document: `counted` marks those seen.
  LabelMatches CollectLabel(const std::vector<Occurrence>& occurrences,
                            size_t* i, EndsByStrength* ends,
                            std::vector<char>* counted) const;
};

// Scratch spaces for concurrent scans. Hyperscan needs one per scanning
// thread; the pool hands out a free one or clones a new one, so it grows to
// the peak number of concurrent Classify() calls and no further.
class Lexicon::ScratchPool {
 public:
  explicit ScratchPool(const hs_database_t* db) {
    if (hs_alloc_scratch(db, &prototype_) != HS_SUCCESS) {
      throw std::bad_alloc();
    }
  }
  ~ScratchPool() {
    for (hs_scratch_t* s : free_) hs_free_scratch(s);
    hs_free_scratch(prototype_);
  }

  hs_scratch_t* Acquire() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!free_.empty()) {
      hs_scratch_t* s = free_.back();
      free_.pop_back();
      return s;
    }
    hs_scratch_t* s = nullptr;
    if (hs_clone_scratch(prototype_, &s) != HS_SUCCESS) throw std::bad_alloc();
    return s;
  }
  void Release(hs_scratch_t* s) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(s);
  }

 private:
  std::mutex mu_;
  hs_scratch_t* prototype_ = nullptr;
  std::vector<hs_scratch_t*> free_;
};

void Lexicon::Compiled::RankRules() {
  // Rank for matches on the same span: ignore rules first, then the higher
  // weight, then file order.
  std::vector<uint32_t> order(rules.size());
  std::iota(order.begin(), order.end(), 0u);
  auto key = [&](uint32_t id) {
    const Rule& r = *rules[id].rule;
    return std::make_tuple(r.role != RuleRole::kIgnore, -r.weight, id);
  };
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return key(a) < key(b); });
  for (uint32_t i = 0; i < order.size(); ++i) rules[order[i]].rank = i;
  std::vector<double> weights;
  for (const auto& flat : rules) {
    if (flat.rule->role == RuleRole::kScore) {
      weights.push_back(flat.rule->weight);
    }
  }
  std::sort(weights.begin(), weights.end(), std::greater<double>());
  weights.erase(std::unique(weights.begin(), weights.end()), weights.end());
  for (auto& flat : rules) {
    if (flat.rule->role == RuleRole::kScore) {
      flat.strength =
          1 + static_cast<uint32_t>(
                  std::find(weights.begin(), weights.end(), flat.rule->weight) -
                  weights.begin());
    }
  }
  strengths = 1 + static_cast<uint32_t>(weights.size());
}

void Lexicon::Compiled::Build(const std::vector<std::string>& expressions,
                              const std::vector<unsigned>& flags,
                              const RuleSet& set) {
  std::vector<const char*> pointers;
  std::vector<unsigned> ids;
  for (size_t i = 0; i < expressions.size(); ++i) {
    pointers.push_back(expressions[i].c_str());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(pointers.data(), flags.data(), ids.data(),
                       static_cast<unsigned>(pointers.size()), HS_MODE_BLOCK,
                       nullptr, &db, &error) == HS_SUCCESS) {
    return;
  }
  std::string message;
  if (error != nullptr && error->expression >= 0 &&
      static_cast<size_t>(error->expression) < rules.size()) {
    const auto& flat = rules[error->expression];
    message = Where(set.path, flat.rule->line, set.labels[flat.label].label,
                    flat.rule) +
              ": Hyperscan rejects it: " + error->message;
  } else {
    message = Where(set.path, 0) + ": Hyperscan cannot compile the rules: " +
              (error != nullptr ? error->message : "unknown error");
  }
  hs_free_compile_error(error);
  throw RulesError(message);
}

std::vector<Occurrence> Lexicon::Compiled::Scan(
    const std::string& text, ScratchPool* pool,
    std::vector<char>* vetoed) const {
  struct State {
    const Compiled* compiled;
    std::vector<Occurrence> occurrences;
    std::vector<char>* vetoed;
    bool out_of_memory = false;
  } state{this, {}, vetoed};
  // Called from C: must not throw.
  auto on_match = [](unsigned id, unsigned long long from,
                     unsigned long long to, unsigned /*flags*/,
                     void* context) -> int {
    auto* s = static_cast<State*>(context);
    const auto& rule = s->compiled->rules[id];
    if (rule.rule->role == RuleRole::kExclude) {
      (*s->vetoed)[rule.label] = 1;
      return 0;
    }
    if (rule.literal_length > 0) from = to - rule.literal_length;
    try {
      s->occurrences.push_back(
          {id, static_cast<uint32_t>(from), static_cast<uint32_t>(to)});
    } catch (...) {
      s->out_of_memory = true;
      return 1;  // Stop scanning.
    }
    return 0;  // Go on scanning.
  };

  hs_scratch_t* scratch = pool->Acquire();
  const hs_error_t status =
      hs_scan(db, text.data(), static_cast<unsigned>(text.size()), 0, scratch,
              on_match, &state);
  pool->Release(scratch);
  if (state.out_of_memory) throw std::bad_alloc();
  if (status != HS_SUCCESS) {
    throw std::runtime_error("Hyperscan scan failed (error " +
                             std::to_string(status) + ")");
  }
  return std::move(state.occurrences);
}

void Lexicon::Compiled::SortOccurrences(
    std::vector<Occurrence>* occurrences) const {
  // In this order a match lies inside another exactly when an earlier match
  // (same label) ends at or after its end; CollectLabel drops it if that
  // match's strength is at most its own (an ignore rule, or a weight at
  // least as high).
  std::sort(occurrences->begin(), occurrences->end(),
            [&](const Occurrence& a, const Occurrence& b) {
              return std::make_tuple(rules[a.rule].label, a.from, b.to,
                                     rules[a.rule].rank) <
                     std::make_tuple(rules[b.rule].label, b.from, a.to,
                                     rules[b.rule].rank);
            });
}

LabelMatches Lexicon::Compiled::CollectLabel(
    const std::vector<Occurrence>& occurrences, size_t* i, EndsByStrength* ends,
    std::vector<char>* counted) const {
  LabelMatches matches;
  matches.label = rules[occurrences[*i].rule].label;
  ends->Clear();
  for (; *i < occurrences.size() &&
         rules[occurrences[*i].rule].label == matches.label;
       ++*i) {
    const Occurrence& o = occurrences[*i];
    const uint32_t strength = rules[o.rule].strength;
    const bool inside =
        ends->FurthestEnd(strength) >= static_cast<int64_t>(o.to);
    ends->Add(strength, o.to);
    if (inside || rules[o.rule].rule->role != RuleRole::kScore) continue;
    if (!(*counted)[o.rule]) {
      (*counted)[o.rule] = 1;
      matches.rules.push_back(o.rule);
    }
    matches.spans.emplace_back(o.from, o.to);
  }
  return matches;
}

Lexicon::Lexicon(RuleSet rules)
    : rules_(std::move(rules)), compiled_(std::make_unique<Compiled>()) {
  if (hs_valid_platform() != HS_SUCCESS) {
    throw RulesError(
        "this CPU cannot run Hyperscan (it needs at least SSSE3); the "
        "lexicon plugin cannot load '" +
        rules_.path + "'");
  }
  std::vector<std::string> expressions;
  std::vector<unsigned> flags;
  for (uint32_t l = 0; l < rules_.labels.size(); ++l) {
    for (const Rule& rule : rules_.labels[l].rules) {
      const uint32_t literal_length =
          rule.kind == RuleKind::kTerm
              ? static_cast<uint32_t>(rule.match.size())
              : 0;
      compiled_->rules.push_back({l, &rule, 0, 0, literal_length});
      expressions.push_back(rule.kind == RuleKind::kTerm
                                ? EscapeLiteral(rule.match)
                                : rule.match);
      flags.push_back(FlagsFor(rule));
      CountRule(rule, &stats_);
    }
  }
  stats_.labels = rules_.labels.size();
  compiled_->RankRules();
  compiled_->Build(expressions, flags, rules_);
  scratch_ = std::make_unique<ScratchPool>(compiled_->db);
}

Lexicon::~Lexicon() = default;

std::vector<std::string> Lexicon::Labels() const {
  std::vector<std::string> labels;
  for (const LabelRules& l : rules_.labels) labels.push_back(l.label);
  return labels;
}

std::vector<LabelResult> Lexicon::Classify(std::string_view utf8,
                                           size_t max_evidence) const {
  std::vector<LabelResult> results;
  icu::Edits edits;
  std::string text = text::Normalize(utf8, &edits);
  if (text.empty()) return results;
  if (text.size() >= UINT_MAX) {
    throw std::runtime_error("document too large for the lexicon (4 GiB)");
  }
  ReplaceInvalidUtf8(&text);
  std::vector<char> vetoed(rules_.labels.size(), 0);
  std::vector<Occurrence> occurrences =
      compiled_->Scan(text, scratch_.get(), &vetoed);
  if (occurrences.empty()) return results;
  compiled_->SortOccurrences(&occurrences);

  const OffsetMap offsets(edits, text == utf8);
  const auto& flat = compiled_->rules;
  std::vector<char> counted(flat.size(), 0);
  EndsByStrength ends(compiled_->strengths);
  size_t i = 0;
  while (i < occurrences.size()) {
    const LabelMatches matches =
        compiled_->CollectLabel(occurrences, &i, &ends, &counted);
    if (vetoed[matches.label] || matches.rules.empty()) continue;
    const LabelRules& rules = rules_.labels[matches.label];
    double miss = 1.0;
    for (uint32_t r : matches.rules) miss *= 1.0 - flat[r].rule->weight;
    const double score = std::clamp(1.0 - miss, 0.0, 1.0);
    if (score + 1e-9 < rules.min_score) continue;

    LabelResult result;
    result.label = rules.label;
    result.score = static_cast<float>(score);
    result.evidence =
        Evidence(matches.spans, offsets, utf8, text, max_evidence);
    results.push_back(std::move(result));
  }
  std::sort(results.begin(), results.end(),
            [](const LabelResult& a, const LabelResult& b) {
              return a.score != b.score ? a.score > b.score : a.label < b.label;
            });
  return results;
}

}  // namespace classifyd::lexicon
