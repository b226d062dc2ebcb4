#include "text/tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace classifyd::text {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Tokens(std::string_view s) {
  std::vector<std::string> tokens;
  Tokenize(s, &tokens);
  return tokens;
}

TEST(TokenizerTest, SplitsHanCharactersIntoSingleTokens) {
  EXPECT_THAT(Tokens("中东四国加入金砖"),
              ElementsAre("中", "东", "四", "国", "加", "入", "金", "砖"));
}

TEST(TokenizerTest, KeepsLatinAndDigitRunsTogetherAndLowercases) {
  EXPECT_THAT(Tokens("所有A股投资者"),
              ElementsAre("所", "有", "a", "股", "投", "资", "者"));
  EXPECT_THAT(Tokens("GDP增长5.2%"), ElementsAre("gdp", "增", "长", "5", "2"));
}

TEST(TokenizerTest, NormalisesFullWidthForms) {
  EXPECT_THAT(Tokens("ＡＢＣ１２３"), ElementsAre("abc123"));
}

TEST(TokenizerTest, DropsPunctuationAndQuotes) {
  EXPECT_EQ(ToFastTextLine("中央气象台:“苏拉”已达强台风级"),
            "中 央 气 象 台 苏 拉 已 达 强 台 风 级");
}

TEST(TokenizerTest, ComposesCombiningMarks) {
  // "e" + COMBINING ACUTE ACCENT composes to one letter inside the word.
  EXPECT_THAT(Tokens("cafe\xCC\x81 ok"), ElementsAre("caf\xC3\xA9", "ok"));
}

TEST(TokenizerTest, TreatsKanaAndHangulAsStandalone) {
  EXPECT_THAT(Tokens("カタ한국"), ElementsAre("カ", "タ", "한", "국"));
}

TEST(TokenizerTest, InvalidUtf8SeparatesInsteadOfCrashing) {
  EXPECT_THAT(Tokens("ab\xFF\xFE"
                     "cd"),
              ElementsAre("ab", "cd"));
  EXPECT_THAT(Tokens("\xE4\xB8"), IsEmpty());  // Truncated sequence.
}

TEST(TokenizerTest, EmptyAndBlankInputGiveNoTokens) {
  EXPECT_EQ(ToFastTextLine(""), "");
  EXPECT_EQ(ToFastTextLine(" \t\n\u3000"), "");
}

TEST(TokenizerTest, SurvivesHugeRunsOfCombiningMarks) {
  std::string s = "a";
  for (int i = 0; i < 20000; ++i) s += "\xCC\x81";
  std::vector<std::string> tokens;
  Tokenize(s, &tokens);
  ASSERT_EQ(tokens.size(), 1u);
}

// "a" followed by `n` combining marks alternating U+0301 (class 230) and
// U+0316 (class 220), which canonical ordering has to swap pairwise.
std::string AlternatingMarks(int n) {
  std::string s = "a";
  for (int i = 0; i < n; ++i) s += i % 2 == 0 ? "\xCC\x81" : "\xCC\x96";
  return s;
}

// Sums the old and new lengths of ICU edits.
std::pair<int64_t, int64_t> EditLengths(const icu::Edits& edits) {
  UErrorCode status = U_ZERO_ERROR;
  icu::Edits::Iterator it = edits.getFineIterator();
  int64_t old_length = 0;
  int64_t new_length = 0;
  while (it.next(status)) {
    old_length += it.oldLength();
    new_length += it.newLength();
  }
  EXPECT_TRUE(U_SUCCESS(status));
  return {old_length, new_length};
}

TEST(TokenizerTest, KeepsAtMostThirtyCharactersWithoutANormalisationBoundary) {
  // 31 acute accents then a grave below: the 31st and the grave are past
  // the stream-safe bound and dropped; the first accent composes with "a".
  std::string s = "x a";
  for (int i = 0; i < 31; ++i) s += "\xCC\x81";
  s += "\xCC\x96 b\xCC\x96\xCC\x81";
  std::string expected = "x \xC3\xA1";
  for (int i = 0; i < 29; ++i) expected += "\xCC\x81";
  expected += " b\xCC\x96\xCC\x81";  // Short runs are untouched.
  icu::Edits edits;
  EXPECT_EQ(Normalize(s, &edits), expected);
  // The offset map still covers the whole original and the whole result.
  EXPECT_EQ(EditLengths(edits),
            std::make_pair(int64_t(s.size()), int64_t(expected.size())));
}

TEST(TokenizerTest, NormalisesAMegabyteOfAlternatingMarks) {
  // ICU reorders a run of combining marks by insertion sort, so before the
  // cap this took time quadratic in the length (measured: over two minutes
  // for 320 kB; a 1 MiB document far longer).
  const std::string s = AlternatingMarks(512 * 1024);
  icu::Edits edits;
  const std::string normalized = Normalize(s, &edits);
  EXPECT_EQ(EditLengths(edits),
            std::make_pair(int64_t(s.size()), int64_t(normalized.size())));
  std::vector<std::string> tokens;
  Tokenize(s, &tokens);
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].substr(0, 2), "\xC3\xA1");
}

}  // namespace
}  // namespace classifyd::text
