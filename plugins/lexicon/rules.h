// The lexicon plugin's rules file: parsing and validation.
//
// A rules file is TOML (format documented in models/lexicon/README.md):
//
//   format = 1                      # optional; the only format is 1
//
//   [fraud]                         # a taxonomy label
//   min_score = 0.5                 # optional, default 0.5, in (0, 1]
//   description = "..."             # optional, ignored
//
//   [fraud.terms]                   # literal term = weight in (0, 1]
//   "电信诈骗" = 0.9
//
//   [fraud.patterns]                # Hyperscan regular expression = weight
//   '诈骗(团伙|集团)' = 0.9
//
//   [fraud.exclude]                 # any match vetoes the label
//   terms = ["..."]
//   patterns = ['...']
//
//   [fraud.ignore]                  # label matches inside these don't count
//   terms = ["..."]
//   patterns = ['...']
//
// Terms are normalised like documents (NFKC + case folding) before matching;
// patterns are used as written and match the normalised text.
//
// Parsing checks everything but whether Hyperscan accepts the patterns (the
// Lexicon does that when it compiles). Errors are RulesError exceptions
// whose message names the file, the line, the label and the rule.
#ifndef CLASSIFYD_PLUGINS_LEXICON_RULES_H_
#define CLASSIFYD_PLUGINS_LEXICON_RULES_H_

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace classifyd::lexicon {

// A rules file that cannot be used. what() says where and why.
class RulesError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class RuleKind { kTerm, kPattern };

enum class RuleRole {
  kScore,    // adds its weight to the label's score
  kExclude,  // vetoes the label wherever it matches in the document
  kIgnore,   // matches of the label's other rules inside it do not count
};

struct Rule {
  RuleRole role = RuleRole::kScore;
  RuleKind kind = RuleKind::kTerm;
  // As written in the file (for messages).
  std::string source;
  // What is matched against the normalised document: for a term its
  // normalised text (a literal), for a pattern the expression as written.
  std::string match;
  double weight = 0;  // kScore only; in (0, 1]
  int line = 0;       // 1-based line in the rules file
};

struct LabelRules {
  std::string label;
  double min_score = 0.5;
  int line = 0;
  std::vector<Rule> rules;
};

struct RuleSet {
  std::string path;                // the file, for messages
  std::vector<LabelRules> labels;  // in file order
};

// Parses `text`, the contents of the rules file `path` (`path` is used only
// in messages). Throws RulesError.
RuleSet ParseRules(std::string_view text, const std::string& path);

// Reads and parses the rules file `path`. Throws RulesError.
RuleSet LoadRules(const std::string& path);

// "rules file '<path>', line <line>, label '<label>', <kind> '<source>'"
// (the parts that are known), the prefix of every error message.
std::string Where(const std::string& path, int line,
                  std::string_view label = {}, const Rule* rule = nullptr);

const char* KindName(RuleKind kind);
const char* RoleName(RuleRole role);

}  // namespace classifyd::lexicon

#endif  // CLASSIFYD_PLUGINS_LEXICON_RULES_H_
