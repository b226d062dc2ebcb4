#include "text/tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "text/han_fold.h"

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

// ICU's Traditional-Simplified transliterator, which the fold table is
// generated from; null, with a failure saying why, if ICU cannot make it.
std::unique_ptr<icu::Transliterator> TraditionalToSimplified() {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::Transliterator> transliterator(
      icu::Transliterator::createInstance("Traditional-Simplified",
                                          UTRANS_FORWARD, status));
  EXPECT_TRUE(U_SUCCESS(status)) << u_errorName(status);
  if (U_FAILURE(status)) return nullptr;
  return transliterator;
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

// Real translations of the same sentence into Traditional and Simplified
// Chinese: sib200_topic test.tsv (FLORES-200) of zho_Hant and zho_Hans,
// index_id 558, 604, 956, 454, 289 and 1097. They are separate
// translations, so they share most, not all, words.
struct TranslationPair {
  const char* traditional;
  const char* simplified;
};
constexpr TranslationPair kSib200Pairs[] = {
    {"原子核由中子和質子兩種粒子組成。", "原子核由中子和质子这两种粒子组成。"},
    {"雖然它的物理狀態可能會改變，但它的化學狀態依舊不變。",
     "虽然它的物理状态可能会改变，但化学状态保持不变。"},
    {"在非洲以外的所有地方，別忘了加上額外的簽證、離境稅和地面交通等額外費用"
     "。",
     "对于非洲以外的所有地区，别忘了加上额外的签证费、离境税、地面交通等费用"
     "。"},
    {"變焦鏡頭的缺點是，達到一定焦距範圍所需的焦點複雜度和鏡片元件數量，遠大"
     "於定焦鏡頭。",
     "变焦镜头的缺点是，要想实现一定的焦距范围，所需的焦距复杂度和透镜元件的"
     "数量远远大于定焦镜头。"},
    {"美國地質調查局的國際地震地圖顯示冰島過去一週都沒有發生地震。",
     "美国地质调查局国际地震地图显示，冰岛在前一周并未发生地震。"},
    {"一名受感染者在一年內可能會感染 10 到 15 名親密接觸者。",
     "一年内，一个感染者可能会感染 10 至 15 名密切接触者。"},
};

// Dice coefficient of two token multisets: 1 when they are the same.
double Dice(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::vector<std::string> common;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(),
                        std::back_inserter(common));
  return 2.0 * common.size() / static_cast<double>(a.size() + b.size());
}

// The characters of `utf8` as tokens, unnormalised: what the token streams
// would share without folding.
std::vector<std::string> RawCharacters(std::string_view utf8) {
  std::vector<std::string> out;
  const int32_t length = static_cast<int32_t>(utf8.size());
  for (int32_t i = 0; i < length;) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(utf8.data(), i, length, c);
    if (u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC)) {
      out.emplace_back(utf8.substr(start, i - start));
    }
  }
  return out;
}

std::vector<std::string> HanTokens(std::string_view utf8) {
  std::vector<std::string> out;
  for (const std::string& token : Tokens(utf8)) {
    if (token.size() >= 3) out.push_back(token);  // Han: 3 bytes or more.
  }
  return out;
}

TEST(TokenizerTest, TraditionalAndSimplifiedTranslationsGiveNearlyTheSameTokens) {
  double gain = 0;
  for (const auto& [traditional, simplified] : kSib200Pairs) {
    SCOPED_TRACE(traditional);
    const double folded = Dice(HanTokens(traditional), HanTokens(simplified));
    const double raw =
        Dice(RawCharacters(traditional), RawCharacters(simplified));
    // Different translators: near, not equal. Without folding the two
    // scripts share far fewer characters.
    EXPECT_GE(folded, 0.8);
    EXPECT_GE(folded, raw + 0.1);
    gain += (folded - raw) / std::size(kSib200Pairs);
  }
  EXPECT_GE(gain, 0.25);
  // The closest pair differs by one word of the Simplified translation.
  std::vector<std::string> simplified = Tokens(kSib200Pairs[0].simplified);
  simplified.erase(std::find(simplified.begin(), simplified.end(), "这"));
  EXPECT_EQ(Tokens(kSib200Pairs[0].traditional), simplified);
}

TEST(TokenizerTest, FoldsLikeIcusTransliteratorOnWholeSentences) {
  std::unique_ptr<icu::Transliterator> to_simplified =
      TraditionalToSimplified();
  ASSERT_NE(to_simplified, nullptr);
  for (const auto& pair : kSib200Pairs) {
    icu::UnicodeString text = icu::UnicodeString::fromUTF8(pair.traditional);
    to_simplified->transliterate(text);
    std::string transliterated;
    text.toUTF8String(transliterated);
    EXPECT_EQ(Normalize(pair.traditional), Normalize(transliterated));
    EXPECT_NE(Normalize(pair.traditional), pair.traditional);
  }
}

TEST(TokenizerTest, FoldingKeepsTheOffsetMapOntoTheOriginal) {
  // The headline of issue 12: five of its ten characters fold, each to a
  // character of the same UTF-8 length.
  const std::string traditional = "警方破獲電信詐騙集團";
  icu::Edits edits;
  const std::string normalized = Normalize(traditional, &edits);
  EXPECT_EQ(normalized, "警方破获电信诈骗集团");
  EXPECT_TRUE(edits.hasChanges());
  EXPECT_EQ(EditLengths(edits), std::make_pair(int64_t(traditional.size()),
                                               int64_t(normalized.size())));
  // "詐騙" (bytes 18..24) maps back onto itself in the original.
  UErrorCode status = U_ZERO_ERROR;
  icu::Edits::Iterator it = edits.getFineIterator();
  ASSERT_TRUE(it.findDestinationIndex(18, status));
  EXPECT_EQ(it.sourceIndex(), 18);
  EXPECT_TRUE(it.hasChange());
  // Full-width letters and Traditional characters in one text: both steps'
  // edits are merged.
  const std::string mixed = "ＡＢ電信";
  const std::string result = Normalize(mixed, &edits);
  EXPECT_EQ(result, "ab电信");
  EXPECT_EQ(EditLengths(edits), std::make_pair(int64_t(mixed.size()),
                                               int64_t(result.size())));
}

TEST(TokenizerTest, SimplifiedTextAndOtherScriptsDoNotFold) {
  for (const auto& pair : kSib200Pairs) {
    std::string text = pair.simplified;
    EXPECT_EQ(FoldToSimplifiedHan(&text), 0u) << pair.simplified;
  }
  std::string other = "カタ한국 abc 123";
  EXPECT_EQ(FoldToSimplifiedHan(&other), 0u);
  constexpr UChar32 kTraditionalDian = 0x96FB;  // 電
  constexpr UChar32 kSimplifiedDian = 0x7535;    // 电
  EXPECT_EQ(ToSimplifiedHan('a'), 'a');
  EXPECT_EQ(ToSimplifiedHan(kTraditionalDian), kSimplifiedDian);
  EXPECT_EQ(ToSimplifiedHan(kSimplifiedDian), kSimplifiedDian);
}

// ToSimplifiedHan() answers most of the Basic Multilingual Plane's Han
// from a bitmap of the table: it must say what the generator (and ICU)
// says for every one of them.
TEST(TokenizerTest, EveryBasicPlaneHanFoldsAsIcuSays) {
  std::unique_ptr<icu::Transliterator> to_simplified =
      TraditionalToSimplified();
  ASSERT_NE(to_simplified, nullptr);
  int wrong = 0;
  for (UChar32 c = 0x3400; c <= 0x9FFF; ++c) {
    icu::UnicodeString text(c);
    to_simplified->transliterate(text);
    // The generator's rule: one other character, of the same UTF-8 length.
    UChar32 want = c;
    if (text.countChar32() == 1 &&
        U8_LENGTH(text.char32At(0)) == U8_LENGTH(c)) {
      want = text.char32At(0);
    }
    if (ToSimplifiedHan(c) != want && ++wrong <= 5) {
      ADD_FAILURE() << "U+" << std::hex << c << " folds to U+"
                    << ToSimplifiedHan(c) << ", ICU says U+" << want;
    }
  }
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace classifyd::text
