#include "http/json_lines.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace classifyd {
namespace {

std::vector<std::string> Texts(const std::vector<JsonLineSplitter::Line>& lines) {
  std::vector<std::string> texts;
  for (const auto& line : lines) texts.push_back(line.too_long ? "<long>" : line.text);
  return texts;
}

TEST(JsonLineSplitterTest, JoinsLinesSplitAcrossPiecesAndSkipsBlankOnes) {
  JsonLineSplitter splitter(100);
  EXPECT_THAT(Texts(splitter.Feed("{\"a\"")), ::testing::IsEmpty());
  EXPECT_THAT(Texts(splitter.Feed(": 1}\r\n\n  \r\n{\"b\": 2}\n{\"c\"")),
              ::testing::ElementsAre("{\"a\": 1}", "{\"b\": 2}"));
  EXPECT_THAT(Texts(splitter.Finish()), ::testing::ElementsAre("{\"c\""));
  EXPECT_THAT(Texts(splitter.Finish()), ::testing::IsEmpty());
}

TEST(JsonLineSplitterTest, ALineOverTheLimitIsReportedOnceAndDropped) {
  JsonLineSplitter splitter(8);
  EXPECT_THAT(Texts(splitter.Feed("12345")), ::testing::IsEmpty());
  EXPECT_THAT(Texts(splitter.Feed("67890")), ::testing::IsEmpty());
  EXPECT_THAT(Texts(splitter.Feed(std::string(1000, 'x'))), ::testing::IsEmpty());
  EXPECT_THAT(Texts(splitter.Feed("x\nok\n")),
              ::testing::ElementsAre("<long>", "ok"));
  EXPECT_THAT(Texts(splitter.Feed("12345678\n")), ::testing::ElementsAre("12345678"));
}

}  // namespace
}  // namespace classifyd
