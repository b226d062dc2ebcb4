#include "rules.h"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "taxonomy.h"
#include "text/tokenizer.h"

namespace classifyd::lexicon {
namespace {

constexpr double kDefaultMinScore = 0.5;

// Limits on patterns. Hyperscan's compile time grows steeply with repeats of
// large Unicode classes: measured, `\w{16}` alone takes seconds to
// compile (and is then refused as too large) and `(\w+\s+){100}` minutes, on
// the daemon's control thread. The shipped rules stay well inside these.
constexpr size_t kMaxPatternBytes = 512;
constexpr int64_t kMaxRepeat = 32;     // n and m of every {n}, {n,}, {n,m}
constexpr size_t kMaxPatterns = 1000;  // patterns in one rules file

// Where the escape at pattern[i] (a backslash and the character after it)
// ends: the index of its last byte, or npos if it opens a brace that never
// closes.
size_t EscapeEnd(std::string_view pattern, size_t i) {
  const char e = pattern[++i];
  // \x{...}, \p{...}, \N{...}, \o{...}: braces that are no repeat.
  if (std::string_view("xpPNo").find(e) != std::string_view::npos &&
      i + 1 < pattern.size() && pattern[i + 1] == '{') {
    return pattern.find('}', i + 1);
  }
  return i;
}

// Why the repeat that may open at the '{' at pattern[i] is over kMaxRepeat,
// or empty (also when the brace is literal text).
std::string RepeatProblem(std::string_view pattern, size_t i) {
  // {n}, {n,} or {n,m}; anything else is literal text.
  int64_t bounds[2] = {-1, -1};
  int which = 0;
  size_t j = i + 1;
  for (; j < pattern.size(); ++j) {
    const char d = pattern[j];
    if (d >= '0' && d <= '9') {
      bounds[which] = std::min<int64_t>(
          (bounds[which] < 0 ? 0 : bounds[which]) * 10 + (d - '0'),
          kMaxRepeat + 1);
    } else if (d == ',' && which == 0 && bounds[0] >= 0) {
      which = 1;
    } else {
      break;
    }
  }
  if (j < pattern.size() && pattern[j] == '}' && bounds[0] >= 0 &&
      std::max(bounds[0], bounds[1]) > kMaxRepeat) {
    return "repeats more than " + std::to_string(kMaxRepeat) + " times (" +
           std::string(pattern.substr(i, j + 1 - i)) +
           "); larger repeats make Hyperscan's compile time explode";
  }
  return "";
}

// Why `pattern` is over the limits above, or empty.
std::string PatternLimitProblem(std::string_view pattern) {
  if (pattern.size() > kMaxPatternBytes) {
    return "is " + std::to_string(pattern.size()) +
           " bytes long; patterns may have at most " +
           std::to_string(kMaxPatternBytes);
  }
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[i + 1];
      if (e == 'w' || e == 'W') {
        return std::string("uses \\") + e +
               ": with Unicode word characters Hyperscan needs seconds to "
               "minutes to compile it (and then refuses it as too large); "
               "name the characters, e.g. \\p{Han} or [a-z0-9]";
      }
      i = EscapeEnd(pattern, i);
      if (i == std::string_view::npos) break;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '[') {
      in_class = true;
      // A ']' first in the class (after an optional '^') is a literal.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') ++i;
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') ++i;
      continue;
    }
    if (c != '{') continue;
    if (std::string problem = RepeatProblem(pattern, i); !problem.empty()) {
      return problem;
    }
  }
  return "";
}

int LineOf(const toml::node& node) {
  return static_cast<int>(node.source().begin.line);
}

int LineOf(const toml::key& key) {
  return static_cast<int>(key.source().begin.line);
}

// "a string", "an array", ...
std::string TypeName(const toml::node& node) {
  std::ostringstream out;
  out << node.type();
  const std::string type = out.str();
  const bool vowel = !type.empty() && std::string_view("aeiou").find(type[0]) !=
                                          std::string_view::npos;
  return (vowel ? "an " : "a ") + type;
}

// A value for a message: numbers as written, other types by name.
std::string Render(const toml::node& node) {
  std::ostringstream out;
  if (node.is_number()) {
    node.visit([&](const auto& v) {
      if constexpr (toml::is_number<decltype(v)>) out << v;
    });
  } else {
    out << TypeName(node);
  }
  return out.str();
}

std::string AllLabels() {
  std::string all;
  for (std::string_view label : kTaxonomy) {
    if (!all.empty()) all += ' ';
    all += label;
  }
  return all;
}

// A number in (low, 1] (integers allowed, e.g. 1), or nullopt.
std::optional<double> UnitNumber(const toml::node& node, double low) {
  std::optional<double> value;
  if (auto d = node.value_exact<double>()) value = *d;
  if (auto i = node.value_exact<int64_t>()) value = static_cast<double>(*i);
  if (!value || !(*value > low && *value <= 1.0)) return std::nullopt;
  return value;
}

bool HasControlCharacter(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

class Parser {
 public:
  explicit Parser(const std::string& path) { set_.path = path; }

  RuleSet Parse(std::string_view text) {
    toml::table root;
    try {
      root = toml::parse(text, set_.path);
    } catch (const toml::parse_error& e) {
      std::ostringstream out;
      out << Where(set_.path, static_cast<int>(e.source().begin.line))
          << ": invalid TOML (column " << e.source().begin.column
          << "): " << e.description();
      throw RulesError(out.str());
    }

    for (const auto& [key, node] : root) {
      const std::string name(key.str());
      if (name == "format") {
        auto format = node.value_exact<int64_t>();
        if (!format || *format != 1) {
          Fail(LineOf(node), {}, nullptr,
               "`format` must be 1 (the only rules format so far)");
        }
        continue;
      }
      const toml::table* table = node.as_table();
      if (!IsTaxonomyLabel(name)) {
        Fail(LineOf(key), {}, nullptr,
             (table != nullptr ? "unknown label '" : "unknown key '") + name +
                 "' (expected `format` or a table named after a taxonomy "
                 "label: " +
                 AllLabels() + ")");
      }
      if (table == nullptr) {
        Fail(LineOf(key), name, nullptr,
             "must be a table ([" + name + "]), not " + TypeName(node));
      }
      ParseLabel(name, LineOf(key), *table);
    }
    std::stable_sort(set_.labels.begin(), set_.labels.end(),
                     [](const LabelRules& a, const LabelRules& b) {
                       return a.line < b.line;
                     });
    if (set_.labels.empty()) {
      Fail(1, {}, nullptr, "no labels (add e.g. [fraud] with [fraud.terms])");
    }
    return std::move(set_);
  }

 private:
  [[noreturn]] void Fail(int line, std::string_view label, const Rule* rule,
                         const std::string& what) const {
    throw RulesError(Where(set_.path, line, label, rule) + ": " + what);
  }

  void ParseLabel(const std::string& name, int line, const toml::table& t) {
    LabelRules label;
    label.label = name;
    label.line = line;
    label.min_score = kDefaultMinScore;
    std::vector<Rule> pending;
    for (const auto& [key, node] : t) {
      const std::string_view k = key.str();
      if (k == "min_score") {
        auto value = UnitNumber(node, 0.0);
        if (!value) {
          Fail(LineOf(node), name, nullptr,
               "`min_score` must be a number in (0, 1]");
        }
        label.min_score = *value;
      } else if (k == "description") {
        if (!node.is_string()) {
          Fail(LineOf(node), name, nullptr, "`description` must be a string");
        }
      } else if (k == "terms" || k == "patterns") {
        const RuleKind kind =
            k == "terms" ? RuleKind::kTerm : RuleKind::kPattern;
        const toml::table* weights = node.as_table();
        if (weights == nullptr) {
          Fail(LineOf(node), name, nullptr,
               "`" + std::string(k) + "` must be a table of \"" +
                   (kind == RuleKind::kTerm ? "term" : "pattern") +
                   "\" = weight ([" + name + "." + std::string(k) + "])");
        }
        for (const auto& [rule_key, weight] : *weights) {
          Rule rule = MakeRule(name, RuleRole::kScore, kind,
                               std::string(rule_key.str()), LineOf(rule_key));
          auto w = UnitNumber(weight, 0.0);
          if (!w) {
            Fail(
                rule.line, name, &rule,
                "the weight must be a number in (0, 1], got " + Render(weight));
          }
          rule.weight = *w;
          pending.push_back(std::move(rule));
        }
      } else if (k == "exclude" || k == "ignore") {
        const RuleRole role =
            k == "exclude" ? RuleRole::kExclude : RuleRole::kIgnore;
        ParseList(name, role, node, &pending);
      } else {
        Fail(LineOf(key), name, nullptr,
             "unknown key '" + std::string(k) +
                 "' (expected min_score, description, terms, patterns, "
                 "exclude, ignore)");
      }
    }
    // TOML tables iterate in key order; restore the file's order so that
    // messages about repeats name the later line, and ties rank by it.
    std::stable_sort(
        pending.begin(), pending.end(),
        [](const Rule& a, const Rule& b) { return a.line < b.line; });
    for (Rule& rule : pending) Add(&label, std::move(rule));
    bool scores = false;
    for (const Rule& r : label.rules) scores |= r.role == RuleRole::kScore;
    if (!scores) {
      Fail(line, name, nullptr,
           "has no terms or patterns (add [" + name + ".terms])");
    }
    set_.labels.push_back(std::move(label));
  }

  // [label.exclude] / [label.ignore]: terms = [...], patterns = [...].
  void ParseList(const std::string& name, RuleRole role, const toml::node& node,
                 std::vector<Rule>* rules) {
    const std::string section = name + "." + RoleName(role);
    const toml::table* t = node.as_table();
    if (t == nullptr) {
      Fail(LineOf(node), name, nullptr,
           "`" + std::string(RoleName(role)) +
               "` must be a table with `terms` and/or `patterns` ([" + section +
               "])");
    }
    for (const auto& [key, value] : *t) {
      const std::string_view k = key.str();
      if (k != "terms" && k != "patterns") {
        Fail(LineOf(key), name, nullptr,
             "unknown key '" + std::string(k) + "' in [" + section +
                 "] (expected terms, patterns)");
      }
      const RuleKind kind = k == "terms" ? RuleKind::kTerm : RuleKind::kPattern;
      const toml::array* items = value.as_array();
      if (items == nullptr) {
        Fail(LineOf(value), name, nullptr,
             "`" + section + "." + std::string(k) +
                 "` must be an array of strings");
      }
      for (const toml::node& item : *items) {
        auto text = item.value_exact<std::string>();
        if (!text) {
          Fail(LineOf(item), name, nullptr,
               "`" + section + "." + std::string(k) +
                   "` must hold strings, found " + Render(item));
        }
        rules->push_back(MakeRule(name, role, kind, *text, LineOf(item)));
      }
    }
  }

  Rule MakeRule(const std::string& label, RuleRole role, RuleKind kind,
                std::string source, int line) {
    Rule rule;
    rule.role = role;
    rule.kind = kind;
    rule.source = std::move(source);
    rule.line = line;
    if (rule.source.empty()) Fail(line, label, &rule, "is empty");
    if (kind == RuleKind::kTerm) {
      if (HasControlCharacter(rule.source)) {
        Fail(line, label, &rule, "contains a control character");
      }
      rule.match = text::Normalize(rule.source);
      if (rule.match.empty()) {
        Fail(line, label, &rule, "is empty after normalisation");
      }
    } else {
      if (rule.source.find('\0') != std::string::npos) {
        Fail(line, label, &rule, "contains a NUL character");
      }
      if (std::string problem = PatternLimitProblem(rule.source);
          !problem.empty()) {
        Fail(line, label, &rule, problem);
      }
      if (++patterns_ > kMaxPatterns) {
        Fail(line, label, &rule,
             "is one pattern too many: a rules file may have at most " +
                 std::to_string(kMaxPatterns));
      }
      rule.match = rule.source;
    }
    return rule;
  }

  // Adds `rule` to `label` unless it repeats one (a term is compared after
  // normalisation, so "BRICS" and "brics" are the same term).
  void Add(LabelRules* label, Rule rule) {
    for (const Rule& other : label->rules) {
      if (other.kind == rule.kind && other.match == rule.match) {
        Fail(
            rule.line, label->label, &rule,
            std::string("repeats the ") + RoleName(other.role) + " " +
                KindName(other.kind) + " '" + other.source + "' of line " +
                std::to_string(other.line) +
                (rule.kind == RuleKind::kTerm ? " (after normalisation)" : ""));
      }
    }
    label->rules.push_back(std::move(rule));
  }

  RuleSet set_;
  size_t patterns_ = 0;
};

}  // namespace

const char* KindName(RuleKind kind) {
  return kind == RuleKind::kTerm ? "term" : "pattern";
}

const char* RoleName(RuleRole role) {
  switch (role) {
    case RuleRole::kScore:
      return "score";
    case RuleRole::kExclude:
      return "exclude";
    case RuleRole::kIgnore:
      return "ignore";
  }
  return "?";
}

std::string Where(const std::string& path, int line, std::string_view label,
                  const Rule* rule) {
  std::string where = "rules file '" + path + "'";
  if (line > 0) where += ", line " + std::to_string(line);
  if (!label.empty()) where += ", label '" + std::string(label) + "'";
  if (rule != nullptr) {
    where += ", ";
    if (rule->role != RuleRole::kScore) {
      where += std::string(RoleName(rule->role)) + " ";
    }
    where += std::string(KindName(rule->kind)) + " '";
    for (char ch : rule->source) {  // Control characters as \xNN.
      const unsigned char c = static_cast<unsigned char>(ch);
      if (c < 0x20 || c == 0x7f) {
        static constexpr char kHex[] = "0123456789abcdef";
        where += "\\x";
        where += kHex[c >> 4];
        where += kHex[c & 15];
      } else {
        where += ch;
      }
    }
    where += "'";
  }
  return where;
}

RuleSet ParseRules(std::string_view text, const std::string& path) {
  return Parser(path).Parse(text);
}

RuleSet LoadRules(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RulesError("cannot read rules file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw RulesError("cannot read rules file '" + path + "'");
  return ParseRules(text.str(), path);
}

}  // namespace classifyd::lexicon
