#include "plugin/calibration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "testing/failure_of.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// The example of docs/plugins.md.
constexpr char kExample[] =
    "# classifyd calibration v1\n"
    "# label<TAB>raw:calibrated raw:calibrated ...\n"
    "finance\t0:0.01 0.2:0.15 0.5:0.6 1:0.97\n"
    "*\t0:0 1:1\n";

Calibration Parsed(const std::string& text) {
  auto result = Calibration::Parse(text, "/m/cal.tsv");
  if (const std::optional<std::string> error = testing::FailureOf(result)) {
    ADD_FAILURE() << *error;
    return Calibration::Parse(std::string(Calibration::kHeader) + "\n",
                              "/m/cal.tsv")
        .value();
  }
  return std::move(result).value();
}

std::string ErrorOf(const std::string& text) {
  auto result = Calibration::Parse(text, "/m/cal.tsv");
  const std::optional<std::string> error = testing::FailureOf(result);
  return error.has_value() ? *error : "<parsed fine>";
}

TEST(CalibrationTest, InterpolatesLinearlyBetweenKnots) {
  const Calibration c = Parsed(kExample);
  EXPECT_EQ(c.labels(), 1u);
  EXPECT_FLOAT_EQ(c.Apply("finance", 0.0f), 0.01f);
  EXPECT_FLOAT_EQ(c.Apply("finance", 0.2f), 0.15f);
  EXPECT_FLOAT_EQ(c.Apply("finance", 0.35f), 0.375f);  // Half way: .15-.6.
  EXPECT_FLOAT_EQ(c.Apply("finance", 0.75f), 0.785f);
  EXPECT_FLOAT_EQ(c.Apply("finance", 1.0f), 0.97f);
}

TEST(CalibrationTest, ClampsOutsideTheKnots) {
  const Calibration c = Parsed(std::string(Calibration::kHeader) +
                               "\nsports\t0.1:0.3 0.9:0.8\n");
  EXPECT_FLOAT_EQ(c.Apply("sports", 0.0f), 0.3f);
  EXPECT_FLOAT_EQ(c.Apply("sports", 0.05f), 0.3f);
  EXPECT_FLOAT_EQ(c.Apply("sports", 0.95f), 0.8f);
  EXPECT_FLOAT_EQ(c.Apply("sports", 1.0f), 0.8f);
  // One knot: a constant.
  const Calibration flat =
      Parsed(std::string(Calibration::kHeader) + "\nx\t0.5:0.7\n");
  EXPECT_FLOAT_EQ(flat.Apply("x", 0.1f), 0.7f);
  EXPECT_FLOAT_EQ(flat.Apply("x", 0.9f), 0.7f);
}

TEST(CalibrationTest, StarCoversOtherLabelsAndWithoutItTheyPassThrough) {
  const Calibration with_star = Parsed(
      std::string(Calibration::kHeader) + "\nfinance\t0:0 1:0.5\n*\t0:0.2 1:0.2\n");
  EXPECT_FLOAT_EQ(with_star.Apply("finance", 1.0f), 0.5f);
  EXPECT_FLOAT_EQ(with_star.Apply("sports", 0.9f), 0.2f);
  const Calibration without =
      Parsed(std::string(Calibration::kHeader) + "\nfinance\t0:0 1:0.5\n");
  EXPECT_FLOAT_EQ(without.Apply("sports", 0.9f), 0.9f);
  // A header alone is a valid file that changes nothing.
  EXPECT_FLOAT_EQ(Parsed(std::string(Calibration::kHeader)).Apply("a", 0.3f),
                  0.3f);
}

TEST(CalibrationTest, TopLabelLinesApplyToTheTopLabelOnly) {
  const Calibration c = Parsed(std::string(Calibration::kHeader) +
                               "\nfinance@1\t0:0.4 1:0.9\n"
                               "sports\t0:0.1 1:0.3\n"
                               "*@1\t0:0.5 1:0.5\n"
                               "*\t0:0.2 1:0.2\n");
  EXPECT_EQ(c.labels(), 2u);
  // Top: label@1, then label, then *@1, then *.
  EXPECT_FLOAT_EQ(c.Apply("finance", 1.0f, /*top=*/true), 0.9f);
  EXPECT_FLOAT_EQ(c.Apply("sports", 1.0f, /*top=*/true), 0.3f);
  EXPECT_FLOAT_EQ(c.Apply("health", 1.0f, /*top=*/true), 0.5f);
  // Any other label: label, then *.
  EXPECT_FLOAT_EQ(c.Apply("finance", 1.0f), 0.2f);
  EXPECT_FLOAT_EQ(c.Apply("sports", 1.0f), 0.3f);
  EXPECT_FLOAT_EQ(c.Apply("health", 1.0f), 0.2f);
  // Without top lines the top label is calibrated like any other.
  const Calibration plain = Parsed(kExample);
  EXPECT_FLOAT_EQ(plain.Apply("finance", 0.2f, /*top=*/true), 0.15f);
  EXPECT_FLOAT_EQ(plain.Apply("health", 0.3f, /*top=*/true), 0.3f);
  // `*@1` and `*` are separate lines; a second `*@1` is refused.
  EXPECT_THAT(ErrorOf(std::string(Calibration::kHeader) +
                      "\n*@1\t0:0\n*\t0:0\n*@1\t0:1\n"),
              HasSubstr("line 4: label '*@1' already has a line (line 2)"));
}

TEST(CalibrationTest, AcceptsCommentsBlankLinesCrLfAndRunsOfSpaces) {
  const Calibration c = Parsed(
      "# classifyd calibration v1\r\n"
      "\r\n"
      "# fitted on 3 documents\r\n"
      "finance\t0:0.1   1:0.9 \r\n");
  EXPECT_FLOAT_EQ(c.Apply("finance", 0.5f), 0.5f);
}

TEST(CalibrationTest, RefusesBadFilesNamingFileAndLine) {
  const std::string h = std::string(Calibration::kHeader) + "\n";
  const std::pair<std::string, std::string> bad[] = {
      {"", "line 1: expected the header '# classifyd calibration v1'"},
      {"# classifyd calibration v2\n", "line 1: expected the header"},
      {h + "finance 0:0 1:1\n", "line 2: expected label<TAB>raw:calibrated"},
      {h + "\t0:0 1:1\n", "line 2: expected label<TAB>"},
      {h + "# c\nfinance\t\n", "line 3: label 'finance': no knots"},
      {h + "finance\t0:0 1\n", "knot 2 '1' is not raw:calibrated"},
      {h + "finance\t0:0 1:1.5\n", "knot 2 '1:1.5' is not raw:calibrated"},
      {h + "finance\t-0.1:0\n", "knot 1 '-0.1:0'"},
      {h + "finance\tnan:0\n", "knot 1 'nan:0'"},
      {h + "finance\t0:inf\n", "knot 1 '0:inf'"},
      {h + "finance\t0:0x1\n", "knot 1 '0:0x1'"},
      {h + "finance\t0.5:0 0.5:1\n",
       "knot 2 '0.5:1': raw values must be strictly ascending"},
      {h + "finance\t0:0.5 1:0.4\n",
       "knot 2 '1:0.4': calibrated values must not decrease"},
      {h + "finance\t0:0 1:1\n\nfinance\t0:0 1:1\n",
       "line 4: label 'finance' already has a line (line 2)"},
      {h + "*\t0:0\n*\t0:1\n", "line 3: label '*' already has a line"},
  };
  for (const auto& [text, message] : bad) {
    EXPECT_THAT(ErrorOf(text),
                AllOf(HasSubstr("calibration '/m/cal.tsv'"), HasSubstr(message)))
        << text;
  }
}

TEST(CalibrationTest, LoadsAFileAndSaysWhyItCannot) {
  testing::TempDir dir;
  const std::string path = dir.WriteFile("cal.tsv", kExample);
  auto loaded = Calibration::Load(path);
  ASSERT_TRUE(loaded.ok()) << std::string(loaded.status().message());
  EXPECT_FLOAT_EQ(loaded.value().Apply("finance", 1.0f), 0.97f);

  auto missing = Calibration::Load(dir.path() + "/nope.tsv");
  ASSERT_TRUE(!missing.ok());
  EXPECT_THAT(
      std::string(missing.status().message()),
      AllOf(HasSubstr("cannot read calibration"), HasSubstr("nope.tsv")));

  std::string huge(Calibration::kMaxFileBytes + 1, '#');
  auto too_big = Calibration::Load(dir.WriteFile("big.tsv", huge));
  ASSERT_TRUE(!too_big.ok());
  EXPECT_THAT(std::string(too_big.status().message()),
              HasSubstr("is over 16 MiB"));
}

TEST(CalibrationTest, ConcurrentAppliesAgree) {
  const Calibration c = Parsed(kExample);
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c, &wrong, t] {
      for (int i = 0; i < 10000; ++i) {
        wrong[t] += c.Apply("finance", 0.35f) != c.Apply("finance", 0.35f);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(wrong, ::testing::Each(0));
}

}  // namespace
}  // namespace classifyd
