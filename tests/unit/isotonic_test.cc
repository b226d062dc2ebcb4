// Isotonic calibration knots of classifyd-train (models/tools/isotonic.h):
// monotone, pooled where the outcomes disagree with the score order, in
// the daemon's calibration format (checked with the daemon's parser).
#include "isotonic.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "plugin/calibration.h"

namespace classifyd::train {
namespace {

TEST(IsotonicTest, PoolsViolatorsAndKeepsKnotsStrictlyAscending) {
  // Outcomes fall between 0.3 and 0.4: those two pool to 0.5.
  const std::vector<double> raw = {0.1, 0.2, 0.3, 0.4, 0.8, 0.9};
  const std::vector<double> outcome = {0, 0, 1, 0, 1, 1};
  const auto knots = FitIsotonic(raw, outcome);
  for (size_t i = 1; i < knots.size(); ++i) {
    EXPECT_LT(knots[i - 1].raw, knots[i].raw);
    EXPECT_LE(knots[i - 1].calibrated, knots[i].calibrated);
  }
  bool pooled = false;
  for (const auto& k : knots) pooled |= k.raw == 0.35 && k.calibrated == 0.5;
  EXPECT_TRUE(pooled);
  EXPECT_EQ(knots.front().raw, 0.0);
  EXPECT_EQ(knots.back().raw, 1.0);
  EXPECT_LE(knots.back().calibrated, 1.0);
  EXPECT_LE(knots[knots.size() - 2].calibrated, kMaxProbability);
}

TEST(IsotonicTest, ManyStepsAreThinnedToAtMostMaxKnotsPlusEnds) {
  std::vector<double> raw, outcome;
  for (int i = 0; i < 1000; ++i) {
    raw.push_back(i / 1000.0);
    outcome.push_back(i % 7 < (i * 7) / 1000 ? 1 : 0);
  }
  EXPECT_LE(FitIsotonic(raw, outcome).size(), kMaxKnots + 2);
}

TEST(IsotonicTest, LinesParseWithTheDaemonsCalibration) {
  const std::vector<double> raw = {0.05, 0.5, 0.99999994, 1.0};
  const std::vector<double> outcome = {0, 1, 0, 1};
  const std::string text =
      std::string(Calibration::kHeader) + "\n" +
      CalibrationLine("*", FitIsotonic(raw, outcome)) + "\n" +
      CalibrationLine("sports", FitIsotonic(raw, outcome)) + "\n";
  auto parsed = Calibration::Parse(text, "test.tsv");
  ASSERT_TRUE(parsed.ok()) << std::string(parsed.status().message());
  const Calibration& c = parsed.value();
  EXPECT_LE(c.Apply("sports", 0.05f), c.Apply("sports", 0.5f));
}

}  // namespace
}  // namespace classifyd::train
