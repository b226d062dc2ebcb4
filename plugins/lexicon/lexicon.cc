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
      switch (rule.role) {
        case RuleRole::kScore:
          ++(rule.kind == RuleKind::kTerm ? stats_.terms : stats_.patterns);
          break;
        case RuleRole::kExclude:
          ++stats_.excludes;
          break;
        case RuleRole::kIgnore:
          ++stats_.ignores;
          break;
      }
    }
  }
  stats_.labels = rules_.labels.size();

  // Rank for matches on the same span: ignore rules first, then the higher
  // weight, then file order.
  std::vector<uint32_t> order(compiled_->rules.size());
  std::iota(order.begin(), order.end(), 0u);
  auto key = [&](uint32_t id) {
    const Rule& r = *compiled_->rules[id].rule;
    return std::make_tuple(r.role != RuleRole::kIgnore, -r.weight, id);
  };
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return key(a) < key(b); });
  for (uint32_t i = 0; i < order.size(); ++i) {
    compiled_->rules[order[i]].rank = i;
  }
  std::vector<double> weights;
  for (const auto& flat : compiled_->rules) {
    if (flat.rule->role == RuleRole::kScore) {
      weights.push_back(flat.rule->weight);
    }
  }
  std::sort(weights.begin(), weights.end(), std::greater<double>());
  weights.erase(std::unique(weights.begin(), weights.end()), weights.end());
  for (auto& flat : compiled_->rules) {
    if (flat.rule->role == RuleRole::kScore) {
      flat.strength =
          1 + static_cast<uint32_t>(
                  std::find(weights.begin(), weights.end(), flat.rule->weight) -
                  weights.begin());
    }
  }
  compiled_->strengths = 1 + static_cast<uint32_t>(weights.size());

  std::vector<const char*> pointers;
  std::vector<unsigned> ids;
  for (size_t i = 0; i < expressions.size(); ++i) {
    pointers.push_back(expressions[i].c_str());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(pointers.data(), flags.data(), ids.data(),
                       static_cast<unsigned>(pointers.size()), HS_MODE_BLOCK,
                       nullptr, &compiled_->db, &error) != HS_SUCCESS) {
    std::string message;
    if (error != nullptr && error->expression >= 0 &&
        static_cast<size_t>(error->expression) < compiled_->rules.size()) {
      const auto& flat = compiled_->rules[error->expression];
      message = Where(rules_.path, flat.rule->line,
                      rules_.labels[flat.label].label, flat.rule) +
                ": Hyperscan rejects it: " + error->message;
    } else {
      message = Where(rules_.path, 0) +
                ": Hyperscan cannot compile the rules: " +
                (error != nullptr ? error->message : "unknown error");
    }
    hs_free_compile_error(error);
    throw RulesError(message);
  }
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

  struct Scan {
    const Compiled* compiled;
    std::vector<Occurrence> occurrences;
    std::vector<char> vetoed;
    bool out_of_memory = false;
  } scan{compiled_.get(), {}, std::vector<char>(rules_.labels.size(), 0)};
  // Called from C: must not throw.
  auto on_match = [](unsigned id, unsigned long long from,
                     unsigned long long to, unsigned /*flags*/,
                     void* context) -> int {
    auto* s = static_cast<Scan*>(context);
    const auto& rule = s->compiled->rules[id];
    if (rule.rule->role == RuleRole::kExclude) {
      s->vetoed[rule.label] = 1;
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

  hs_scratch_t* scratch = scratch_->Acquire();
  const hs_error_t status =
      hs_scan(compiled_->db, text.data(), static_cast<unsigned>(text.size()), 0,
              scratch, on_match, &scan);
  scratch_->Release(scratch);
  if (scan.out_of_memory) throw std::bad_alloc();
  if (status != HS_SUCCESS) {
    throw std::runtime_error("Hyperscan scan failed (error " +
                             std::to_string(status) + ")");
  }
  if (scan.occurrences.empty()) return results;

  // Per label: by start, longer first, better rank first. In this order a
  // match lies inside another exactly when an earlier match (same label)
  // ends at or after its end; it is dropped if that match's strength is at
  // most its own (an ignore rule, or a weight at least as high).
  const auto& flat = compiled_->rules;
  std::sort(scan.occurrences.begin(), scan.occurrences.end(),
            [&](const Occurrence& a, const Occurrence& b) {
              return std::make_tuple(flat[a.rule].label, a.from, b.to,
                                     flat[a.rule].rank) <
                     std::make_tuple(flat[b.rule].label, b.from, a.to,
                                     flat[b.rule].rank);
            });

  const OffsetMap offsets(edits, text == utf8);
  std::vector<char> counted(flat.size(), 0);
  // Prefix maximum (Fenwick tree) over strengths of the earlier matches'
  // ends: ends[s] = the furthest end among matches with strength <= s.
  std::vector<int64_t> ends(compiled_->strengths + 1);
  auto furthest_end = [&](uint32_t strength) {
    int64_t best = -1;
    for (size_t k = strength + 1; k > 0; k -= k & (~k + 1)) {
      best = std::max(best, ends[k]);
    }
    return best;
  };
  auto add_end = [&](uint32_t strength, int64_t end) {
    for (size_t k = strength + 1; k < ends.size(); k += k & (~k + 1)) {
      ends[k] = std::max(ends[k], end);
    }
  };
  size_t i = 0;
  while (i < scan.occurrences.size()) {
    const uint32_t label = flat[scan.occurrences[i].rule].label;
    const LabelRules& rules = rules_.labels[label];
    std::vector<uint32_t> matched_rules;
    std::vector<std::pair<uint32_t, uint32_t>> spans;
    std::fill(ends.begin(), ends.end(), -1);
    for (; i < scan.occurrences.size() &&
           flat[scan.occurrences[i].rule].label == label;
         ++i) {
      const Occurrence& o = scan.occurrences[i];
      const uint32_t strength = flat[o.rule].strength;
      const bool inside = furthest_end(strength) >= static_cast<int64_t>(o.to);
      add_end(strength, o.to);
      if (inside || flat[o.rule].rule->role != RuleRole::kScore) continue;
      if (!counted[o.rule]) {
        counted[o.rule] = 1;
        matched_rules.push_back(o.rule);
      }
      spans.emplace_back(o.from, o.to);
    }
    if (scan.vetoed[label] || matched_rules.empty()) continue;
    double miss = 1.0;
    for (uint32_t r : matched_rules) miss *= 1.0 - flat[r].rule->weight;
    const double score = std::clamp(1.0 - miss, 0.0, 1.0);
    if (score + 1e-9 < rules.min_score) continue;

    LabelResult result;
    result.label = rules.label;
    result.score = static_cast<float>(score);
    for (const auto& [from, to] : spans) {
      if (result.evidence.size() >= max_evidence) break;
      auto [start, end] = offsets.ToOriginal(from, to);
      std::string evidence = start < end && end <= utf8.size()
                                 ? std::string(utf8.substr(start, end - start))
                                 : text.substr(from, to - from);
      if (std::find(result.evidence.begin(), result.evidence.end(), evidence) ==
          result.evidence.end()) {
        result.evidence.push_back(std::move(evidence));
      }
    }
    results.push_back(std::move(result));
  }
  std::sort(results.begin(), results.end(),
            [](const LabelResult& a, const LabelResult& b) {
              return a.score != b.score ? a.score > b.score : a.label < b.label;
            });
  return results;
}

}  // namespace classifyd::lexicon
