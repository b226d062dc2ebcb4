#include "tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
  EXPECT_THAT(Tokens("GDP增长5.2%"),
              ElementsAre("gdp", "增", "长", "5", "2"));
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
  EXPECT_THAT(Tokens("ab\xFF\xFE" "cd"), ElementsAre("ab", "cd"));
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

}  // namespace
}  // namespace classifyd::text
