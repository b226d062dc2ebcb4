#include "text_table.h"

#include <gtest/gtest.h>

namespace classifyctl {
namespace {

TEST(DisplayWidthTest, HanAndFullWidthFormsTakeTwoColumns) {
  EXPECT_EQ(DisplayWidth("fraud"), 5u);
  EXPECT_EQ(DisplayWidth("诈骗"), 4u);
  EXPECT_EQ(DisplayWidth("ＡＢ"), 4u);      // Full-width Latin.
  EXPECT_EQ(DisplayWidth("ｶﾀｶﾅ"), 4u);      // Half-width katakana.
  EXPECT_EQ(DisplayWidth("한국"), 4u);
  EXPECT_EQ(DisplayWidth("\U00020000"), 2u);  // CJK Extension B.
}

TEST(DisplayWidthTest, MarksAndFormatCharactersTakeNone) {
  EXPECT_EQ(DisplayWidth("e\u0301"), 1u);      // e + combining acute.
  EXPECT_EQ(DisplayWidth("a\u200Bb"), 2u);     // Zero-width space.
  EXPECT_EQ(DisplayWidth("\uFEFFab"), 2u);     // Byte-order mark.
}

TEST(DisplayWidthTest, InvalidBytesTakeOneColumnEach) {
  EXPECT_EQ(DisplayWidth("a\xff" "b"), 3u);
  EXPECT_EQ(DisplayWidth("\xe8\xaf"), 1u);  // Truncated sequence.
}

TEST(TextTableTest, PadsColumnsByDisplayWidth) {
  TextTable table({"label", "score"});
  table.AddRow({"诈骗", "0.9"});
  table.AddRow({"sports", "0.1"});
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  table.Print(out);
  std::fclose(out);
  const std::string text(buffer, size);
  std::free(buffer);
  EXPECT_EQ(text,
            "label   score\n"
            "诈骗    0.9\n"
            "sports  0.1\n");
}

}  // namespace
}  // namespace classifyctl
