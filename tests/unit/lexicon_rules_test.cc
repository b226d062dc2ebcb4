// The lexicon plugin's rules parser and matcher, without the plugin ABI
// (plugins/lexicon/rules.h, lexicon.h). The plugin itself, loaded through
// the daemon's loader, is tested in lexicon_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lexicon.h"
#include "rules.h"
#include "testing/daemon_process.h"

namespace classifyd::lexicon {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kPath = "/rules/test.toml";

std::string ParseError(const std::string& toml) {
  try {
    ParseRules(toml, kPath);
  } catch (const RulesError& e) {
    return e.what();
  }
  return "<parsed>";
}

std::string CompileError(const std::string& toml) {
  try {
    Lexicon lexicon(ParseRules(toml, kPath));
  } catch (const RulesError& e) {
    return e.what();
  }
  return "<compiled>";
}

// label -> score of Classify(text).
std::map<std::string, float> Scores(const Lexicon& lexicon,
                                    std::string_view text) {
  std::map<std::string, float> scores;
  for (const LabelResult& r : lexicon.Classify(text, 10)) {
    scores[r.label] = r.score;
  }
  return scores;
}

std::vector<std::string> Evidence(const Lexicon& lexicon, std::string_view text,
                                  const std::string& label) {
  for (const LabelResult& r : lexicon.Classify(text, 10)) {
    if (r.label == label) return r.evidence;
  }
  return {"<no label>"};
}

TEST(LexiconRulesTest, ParsesLabelsRulesWeightsAndLines) {
  const RuleSet set = ParseRules(R"(format = 1
[weather]
min_score = 0.7
description = "weather"
[weather.terms]
"台风" = 0.6
"ＢＲＩＣＳ" = 1
[weather.patterns]
'第\d+号台风' = 0.9
[weather.exclude]
terms = ["暴雪娱乐"]
[weather.ignore]
patterns = ['《[^》]+》']

[fraud.terms]
"诈骗" = 0.8
)",
                                 kPath);
  EXPECT_EQ(set.path, kPath);
  ASSERT_EQ(set.labels.size(), 2u);
  const LabelRules& weather = set.labels[0];  // File order, not key order.
  EXPECT_EQ(weather.label, "weather");
  EXPECT_EQ(weather.line, 2);
  EXPECT_DOUBLE_EQ(weather.min_score, 0.7);
  ASSERT_EQ(weather.rules.size(), 5u);
  EXPECT_EQ(weather.rules[0].source, "台风");
  EXPECT_EQ(weather.rules[0].line, 6);
  EXPECT_DOUBLE_EQ(weather.rules[0].weight, 0.6);
  // Terms are normalised like documents (NFKC + case folding).
  EXPECT_EQ(weather.rules[1].source, "ＢＲＩＣＳ");
  EXPECT_EQ(weather.rules[1].match, "brics");
  EXPECT_DOUBLE_EQ(weather.rules[1].weight, 1.0);
  EXPECT_EQ(weather.rules[2].kind, RuleKind::kPattern);
  EXPECT_EQ(weather.rules[2].match, "第\\d+号台风");
  EXPECT_EQ(weather.rules[3].role, RuleRole::kExclude);
  EXPECT_EQ(weather.rules[3].line, 11);
  EXPECT_EQ(weather.rules[4].role, RuleRole::kIgnore);
  EXPECT_EQ(weather.rules[4].kind, RuleKind::kPattern);
  EXPECT_EQ(set.labels[1].label, "fraud");
  EXPECT_DOUBLE_EQ(set.labels[1].min_score, 0.5);  // The default.
}

TEST(LexiconRulesTest, RefusesBadFilesNamingFileLineLabelAndRule) {
  struct Case {
    std::string toml;
    std::vector<std::string> expected;
  } cases[] = {
      {"[fraud.terms]\n\"a\" = 0.5\n[fraud\n",
       {"rules file '/rules/test.toml', line 3", "invalid TOML"}},
      {"[fraudd.terms]\n\"a\" = 0.5\n",
       {"line 1", "unknown label 'fraudd'", "fraud disaster diplomacy"}},
      {"colour = 1\n", {"line 1", "unknown key 'colour'"}},
      {"format = 2\n[fraud.terms]\n\"a\" = 0.5\n", {"`format` must be 1"}},
      {"fraud = 3\n", {"label 'fraud'", "must be a table"}},
      {"[fraud]\nmin_score = 0.5\nthreshold = 1\n[fraud.terms]\n\"a\" = 0.5\n",
       {"line 3", "label 'fraud'", "unknown key 'threshold'"}},
      {"[fraud]\nmin_score = 0\n[fraud.terms]\n\"a\" = 0.5\n",
       {"line 2", "`min_score` must be a number in (0, 1]"}},
      {"[fraud.terms]\n\"a\" = 0.5\n\"b\" = 1.5\n",
       {"line 3", "term 'b'", "in (0, 1], got 1.5"}},
      {"[fraud.terms]\n\"a\" = 0\n", {"term 'a'", "got 0"}},
      {"[fraud.terms]\n\"a\" = \"high\"\n", {"term 'a'", "got a string"}},
      {"[fraud.terms]\n\"\" = 0.5\n", {"term ''", "is empty"}},
      {"[fraud.terms]\n\"\\u200b\" = 0.5\n", {"empty after normalisation"}},
      {"[fraud.terms]\n\"a\\tb\" = 0.5\n",
       {"term 'a\\x09b'", "control character"}},
      {"[fraud.terms]\n\"a\" = 0.5\n[fraud.patterns]\n\"x\\u0000\" = 0.5\n",
       {"line 4", "pattern 'x\\x00'", "NUL"}},
      {"[fraud.terms]\n\"Brics\" = 0.5\n\"ＢＲＩＣＳ\" = 0.6\n",
       {"line 3", "term 'ＢＲＩＣＳ'",
        "repeats the score term 'Brics' of line 2", "after normalisation"}},
      {"[fraud.terms]\n\"a\" = 0.5\n[fraud.exclude]\nterms = [\"a\"]\n",
       {"line 4", "exclude term 'a'", "repeats"}},
      {"[fraud.terms]\n\"a\" = 0.5\n[fraud.exclude]\nwords = [\"b\"]\n",
       {"line 4", "unknown key 'words' in [fraud.exclude]"}},
      {"[fraud.terms]\n\"a\" = 0.5\n[fraud.exclude]\nterms = \"b\"\n",
       {"must be an array of strings"}},
      {"[fraud.terms]\n\"a\" = 0.5\n[fraud.ignore]\nterms = [\"b\", 3]\n",
       {"line 4", "must hold strings, found 3"}},
      {"[fraud]\nmin_score = 0.5\n[fraud.exclude]\nterms = [\"b\"]\n",
       {"line 1", "label 'fraud'", "has no terms or patterns"}},
      {"", {"no labels"}},
  };
  for (const Case& c : cases) {
    const std::string error = ParseError(c.toml);
    for (const std::string& part : c.expected) {
      EXPECT_THAT(error, HasSubstr(part)) << "rules:\n" << c.toml;
    }
  }
}

TEST(LexiconRulesTest, ReportsPatternsHyperscanRejectsWithTheirLine) {
  struct Case {
    std::string pattern;
    std::string reason;
  } cases[] = {
      {"诈骗(团伙", "Missing close parenthesis"},
      {"(a)\\\\1x", "Back-references"},
      {"(?<=a)b", "Zero-width assertions"},
      {"a*", "empty"},
  };
  for (const Case& c : cases) {
    const std::string error = CompileError(
        "[fraud.terms]\n\"a\" = 0.5\n[fraud.patterns]\n'x' = 0.2\n\"" +
        c.pattern + "\" = 0.5\n");
    EXPECT_THAT(error,
                AllOf(HasSubstr("rules file '/rules/test.toml', line 5"),
                      HasSubstr("label 'fraud'"),
                      HasSubstr("Hyperscan rejects it"), HasSubstr(c.reason)))
        << c.pattern;
  }
  EXPECT_THAT(CompileError("[weather.terms]\n\"a\" = 0.5\n"
                           "[weather.exclude]\npatterns = ['(b']\n"),
              AllOf(HasSubstr("line 4"), HasSubstr("exclude pattern '(b'")));
}

TEST(LexiconRulesTest, LoadRulesNamesAMissingFile) {
  EXPECT_THROW(
      {
        try {
          LoadRules("/nonexistent/rules.toml");
        } catch (const RulesError& e) {
          EXPECT_THAT(e.what(), HasSubstr("cannot read rules file "
                                          "'/nonexistent/rules.toml'"));
          throw;
        }
      },
      RulesError);
}

// One pattern `p` of label fraud, as a rules file.
std::string OnePattern(const std::string& p) {
  return "[fraud.patterns]\n'" + p + "' = 0.5\n";
}

TEST(RulesTest, RefusesPatternsOverTheCompileTimeLimits) {
  // These kept Hyperscan compiling for seconds to minutes before it gave
  // up. Refused up front, with the reason.
  EXPECT_THAT(ParseError(OnePattern(R"((\w+\s+){100})")),
              AllOf(HasSubstr("line 2, label 'fraud', pattern"),
                    HasSubstr("uses \\w")));
  EXPECT_THAT(ParseError(OnePattern(R"([\W]诈)")), HasSubstr("uses \\W"));
  EXPECT_THAT(ParseError(OnePattern("a{33}")),
              HasSubstr("repeats more than 32 times ({33})"));
  EXPECT_THAT(ParseError(OnePattern("[^,]{0,40}诈")), HasSubstr("({0,40})"));
  EXPECT_THAT(ParseError(OnePattern(R"(\d{99999999999999999999})")),
              HasSubstr("repeats more than 32"));
  EXPECT_THAT(ParseError(OnePattern("[{]{40}")), HasSubstr("({40})"));
  EXPECT_THAT(ParseError(OnePattern(std::string(513, 'a'))),
              HasSubstr("513 bytes long"));
  std::string many = "[fraud.patterns]\n";
  for (int i = 0; i <= 1000; ++i) {
    many += "'p" + std::to_string(i) + "' = 0.5\n";
  }
  EXPECT_THAT(ParseError(many), HasSubstr("one pattern too many"));
  // Within the limits: braces that are no repeat, bounds up to 32.
  for (const char* fine :
       {R"(\x{4e00}{1,32}诈)", R"(a\{99})", "[}{]x{,99}", R"(\p{Han}{2}骗)"}) {
    EXPECT_EQ(ParseError(OnePattern(fine)), "<parsed>") << fine;
  }
}

TEST(LexiconTest, CombinesDistinctRulesAsNoisyOr) {
  const Lexicon lexicon(ParseRules(R"(
[fraud.terms]
"alpha" = 0.5
"beta" = 0.4
"gamma" = 0.3
)",
                                   kPath));
  // One term: its weight. Two: 1 - 0.5 * 0.6. Repeats count once.
  EXPECT_FLOAT_EQ(Scores(lexicon, "alpha")["fraud"], 0.5f);
  EXPECT_FLOAT_EQ(Scores(lexicon, "alpha beta")["fraud"], 0.7f);
  EXPECT_FLOAT_EQ(Scores(lexicon, "alpha alpha beta alpha")["fraud"], 0.7f);
  EXPECT_FLOAT_EQ(Scores(lexicon, "gamma beta alpha")["fraud"], 0.79f);
  // Below the default min_score 0.5: no label.
  EXPECT_THAT(lexicon.Classify("beta beta", 10), IsEmpty());
  EXPECT_THAT(lexicon.Classify("nothing here", 10), IsEmpty());
  EXPECT_THAT(Evidence(lexicon, "beta, alpha; alpha!", "fraud"),
              ElementsAre("beta", "alpha"));  // Distinct, in text order.
}

TEST(LexiconTest, MinScoreIsPerLabelAndInclusive) {
  const Lexicon lexicon(ParseRules(R"(
[fraud]
min_score = 0.7
[fraud.terms]
"alpha" = 0.5
"beta" = 0.4
[weather]
min_score = 0.4
[weather.terms]
"beta" = 0.4
)",
                                   kPath));
  EXPECT_THAT(Scores(lexicon, "alpha"), IsEmpty());
  auto both = Scores(lexicon, "alpha beta");  // 0.7 >= 0.7
  EXPECT_FLOAT_EQ(both["fraud"], 0.7f);
  EXPECT_FLOAT_EQ(both["weather"], 0.4f);
  // Best score first.
  std::vector<LabelResult> results = lexicon.Classify("alpha beta", 10);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].label, "fraud");
  EXPECT_EQ(results[1].label, "weather");
}

TEST(LexiconTest, ExclusionsVetoTheirLabelOnly) {
  const Lexicon lexicon(ParseRules(R"(
[weather.terms]
"暴雪" = 0.9
[weather.exclude]
terms = ["游戏"]
patterns = ['暴雪(娱乐|公司)']
[disaster.terms]
"暴雪" = 0.6
)",
                                   kPath));
  EXPECT_THAT(
      Scores(lexicon, "内蒙古遭遇暴雪"),
      ElementsAre(std::pair<const std::string, float>("disaster", 0.6f),
                  std::pair<const std::string, float>("weather", 0.9f)));
  // Anywhere in the document, before or after the term.
  EXPECT_THAT(Scores(lexicon, "游戏里的暴雪").count("weather"), 0u);
  EXPECT_THAT(Scores(lexicon, "暴雪公司发布新作").count("weather"), 0u);
  EXPECT_EQ(Scores(lexicon, "暴雪公司发布新作").count("disaster"), 1u);
}

TEST(LexiconTest, MatchesInsideStrongerOrIgnoredMatchesDoNotCount) {
  const Lexicon lexicon(ParseRules(R"(
[fraud.terms]
"诈骗" = 0.6
"电信诈骗" = 0.9
"赌诈" = 0.95
[fraud.patterns]
'打击[^,。]{0,4}(诈|赌)' = 0.8
[diplomacy.terms]
"大使" = 0.6
[diplomacy.ignore]
terms = ["扩大使用"]
patterns = ['《[^》]{1,20}》']
)",
                                   kPath));
  // 诈骗 lies inside the stronger 电信诈骗: counted once, as 电信诈骗.
  EXPECT_FLOAT_EQ(Scores(lexicon, "电信诈骗")["fraud"], 0.9f);
  EXPECT_THAT(Evidence(lexicon, "电信诈骗", "fraud"), ElementsAre("电信诈骗"));
  // Elsewhere in the text 诈骗 counts: 1 - 0.1 * 0.4.
  EXPECT_FLOAT_EQ(Scores(lexicon, "电信诈骗,诈骗")["fraud"], 0.96f);
  // A stronger term inside a weaker pattern still counts.
  EXPECT_FLOAT_EQ(Scores(lexicon, "打击赌诈")["fraud"], 1 - 0.2f * 0.05f);
  EXPECT_THAT(Evidence(lexicon, "打击赌诈", "fraud"),
              ElementsAre("打击赌诈", "赌诈"));
  // Ignore rules mask the label's matches inside them.
  EXPECT_THAT(Scores(lexicon, "扩大使用范围"), IsEmpty());
  EXPECT_THAT(Scores(lexicon, "电影《大使》上映"), IsEmpty());
  EXPECT_FLOAT_EQ(Scores(lexicon, "扩大使用,大使馆")["diplomacy"], 0.6f);
}

TEST(LexiconTest, MatchesTheNormalisedTextAndReportsTheOriginal) {
  const Lexicon lexicon(ParseRules(R"(
[diplomacy.terms]
"BRICS" = 0.9
"g20" = 0.8
[diplomacy.patterns]
'第\d+届' = 0.6
)",
                                   kPath));
  // Full-width letters and digits are folded for matching; evidence is the
  // text as the document wrote it.
  EXPECT_THAT(Evidence(lexicon, "ＢＲＩＣＳ与Ｇ２０峰会 第１５届", "diplomacy"),
              ElementsAre("ＢＲＩＣＳ", "Ｇ２０", "第１５届"));
  EXPECT_THAT(Evidence(lexicon, "Brics and brics", "diplomacy"),
              ElementsAre("Brics", "brics"));
  // Characters that normalisation expands or removes before the match.
  EXPECT_THAT(Evidence(lexicon, "\u3000\u200bG20\u2460", "diplomacy"),
              ElementsAre("G20"));
}

TEST(LexiconTest, ReportsTheOriginalTextAfterAnOverlongRunOfMarks) {
  const Lexicon lexicon(ParseRules(R"(
[fraud.terms]
"电信诈骗" = 0.95
"café" = 0.9
)",
                                   kPath));
  // Normalisation drops marks past the 30th of a run (see tokenizer.h); the
  // evidence after the dropped ones must still be the original bytes.
  std::string document = "x";
  for (int i = 0; i < 100; ++i)
    document += i % 2 == 0 ? "\xCC\x81" : "\xCC\x96";
  document += " 电信诈骗";
  EXPECT_THAT(Evidence(lexicon, document, "fraud"), ElementsAre("电信诈骗"));
  EXPECT_THAT(Evidence(lexicon, "cafe\xCC\x81 电信诈骗", "fraud"),
              ElementsAre("cafe\xCC\x81", "电信诈骗"));
}

TEST(LexiconTest, CapsEvidenceAndSurvivesOddInput) {
  const Lexicon lexicon(ParseRules(R"(
[fraud.terms]
"a1" = 0.2
"a2" = 0.2
"a3" = 0.2
"a4" = 0.2
)",
                                   kPath));
  const auto results = lexicon.Classify("a4 a3 a2 a1", 2);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_THAT(results[0].evidence, ElementsAre("a4", "a3"));
  EXPECT_FLOAT_EQ(results[0].score, 1 - 0.8f * 0.8f * 0.8f * 0.8f);
  // Invalid UTF-8 (the daemon never sends it, the CLI might) and NULs.
  EXPECT_THAT(lexicon.Classify("a1\xff\xfe a2 a3\xe4\xb8"
                               "a4",
                               10),
              ::testing::SizeIs(1));
  EXPECT_THAT(lexicon.Classify(std::string_view("a1\0a2\0a3\0a4", 11), 10),
              ::testing::SizeIs(1));
  EXPECT_THAT(lexicon.Classify(" ", 10), IsEmpty());
}

TEST(LexiconTest, BundledRulesCompile) {
  const Lexicon lexicon(
      LoadRules(testing::SourceDir() + "/models/lexicon/rules.toml"));
  EXPECT_THAT(lexicon.Labels(),
              ElementsAre("fraud", "disaster", "weather", "diplomacy",
                          "politics", "health", "science", "military"));
  EXPECT_GT(lexicon.stats().terms, 300u);
  EXPECT_GT(lexicon.stats().patterns, 20u);
}

}  // namespace
}  // namespace classifyd::lexicon
