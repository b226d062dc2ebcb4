// Unit tests of the language tags a client gives (ClassifyRequest.language).
#include "service/language_tag.h"

#include <gtest/gtest.h>

#include <string>

namespace classifyd {
namespace {

TEST(LanguageTagTest, CanonicalFormFollowsBcp47) {
  EXPECT_EQ(CanonicalLanguageTag("en"), "en");
  EXPECT_EQ(CanonicalLanguageTag("EN"), "en");
  EXPECT_EQ(CanonicalLanguageTag("zh-hant"), "zh-Hant");
  EXPECT_EQ(CanonicalLanguageTag("zh-hant-tw"), "zh-Hant-TW");
  EXPECT_EQ(CanonicalLanguageTag("und"), "und");
  EXPECT_EQ(CanonicalLanguageTag("i-klingon"), "tlh");  // A legacy tag.
  for (const char* bad : {"", "zh_Hant", "en--US", "123", " en", "en-a",
                          "\xe4\xb8\xad\xe6\x96\x87"}) {
    EXPECT_EQ(CanonicalLanguageTag(bad), "") << bad;
  }
  // Well-formed, but longer than any client needs: refused.
  std::string tag = "en-x";
  while (tag.size() + 9 <= kMaxLanguageTagBytes) tag += "-abcdefgh";
  EXPECT_EQ(CanonicalLanguageTag(tag), tag);
  EXPECT_EQ(CanonicalLanguageTag(tag + "-abcdefgh"), "");
}

}  // namespace
}  // namespace classifyd
