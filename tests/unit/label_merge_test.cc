#include "service/label_merge.h"

#include <gtest/gtest.h>

namespace classifyd {
namespace {

std::vector<PluginLabel> Labels(
    std::initializer_list<std::pair<const char*, float>> items) {
  std::vector<PluginLabel> out;
  for (const auto& [name, score] : items) out.push_back({name, score, {}});
  return out;
}

TEST(LabelMergeTest, KeepsTheBestScorePerLabelWithItsSource) {
  auto a = Labels({{"finance", 0.6f}, {"politics", 0.3f}});
  auto b = Labels({{"finance", 0.8f}, {"fraud", 0.5f}});
  b[0].evidence = {"股"};
  LabelSource sources[] = {{"stats", 1, 1.0, &a}, {"rules", 2, 1.0, &b}};
  auto merged = MergeLabels(sources, 10, 0.0f);
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0].name, "finance");
  EXPECT_FLOAT_EQ(merged[0].score, 0.8f);
  EXPECT_EQ(merged[0].classifier, "rules");
  EXPECT_EQ(merged[0].generation, 2u);
  EXPECT_EQ(*merged[0].evidence, std::vector<std::string>{"股"});
  EXPECT_EQ(merged[1].name, "fraud");
  EXPECT_EQ(merged[2].name, "politics");
  EXPECT_EQ(merged[2].classifier, "stats");
}

TEST(LabelMergeTest, AppliesWeightsAndCapsAtOne) {
  auto a = Labels({{"sports", 0.6f}});
  auto b = Labels({{"sports", 0.4f}, {"games", 0.9f}});
  LabelSource sources[] = {{"a", 1, 0.5, &a}, {"b", 1, 2.0, &b}};
  auto merged = MergeLabels(sources, 10, 0.0f);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].name, "games");
  EXPECT_FLOAT_EQ(merged[0].score, 1.0f);  // 0.9 * 2 capped.
  EXPECT_EQ(merged[1].name, "sports");
  EXPECT_FLOAT_EQ(merged[1].score, 0.8f);  // max(0.3, 0.8)
  EXPECT_EQ(merged[1].classifier, "b");
}

TEST(LabelMergeTest, FiltersByMinScoreAfterWeightingAndCutsToTopK) {
  auto a = Labels({{"a", 0.9f}, {"b", 0.5f}, {"c", 0.4f}, {"d", 0.05f}});
  LabelSource sources[] = {{"x", 1, 1.0, &a}};
  auto merged = MergeLabels(sources, 2, 0.1f);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].name, "a");
  EXPECT_EQ(merged[1].name, "b");
  EXPECT_EQ(MergeLabels(sources, 10, 0.45f).size(), 2u);
}

TEST(LabelMergeTest, BreaksTiesByNameThenClassifier) {
  auto a = Labels({{"zeta", 0.5f}, {"alpha", 0.5f}});
  auto b = Labels({{"alpha", 0.5f}});
  LabelSource sources[] = {{"second", 1, 1.0, &a}, {"first", 1, 1.0, &b}};
  auto merged = MergeLabels(sources, 10, 0.0f);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].name, "alpha");
  EXPECT_EQ(merged[0].classifier, "first");
  EXPECT_EQ(merged[1].name, "zeta");
}

TEST(LabelMergeTest, KeepsTheOtherVotesForALabelWithTheirEvidence) {
  auto model = Labels({{"weather", 0.9f}, {"politics", 0.05f}});
  auto rules = Labels({{"weather", 0.7f}, {"politics", 0.6f}});
  rules[0].evidence = {"台风"};
  auto third = Labels({{"weather", 0.7f}});
  LabelSource sources[] = {{"rules", 3, 1.0, &rules},
                           {"model", 1, 1.0, &model},
                           {"a", 2, 1.0, &third}};
  auto merged = MergeLabels(sources, 10, 0.1f);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].name, "weather");
  EXPECT_EQ(merged[0].classifier, "model");
  EXPECT_TRUE(merged[0].evidence->empty());
  // Both losers are kept, best first, ties by classifier name.
  ASSERT_EQ(merged[0].also.size(), 2u);
  EXPECT_EQ(merged[0].also[0].classifier, "a");
  EXPECT_EQ(merged[0].also[1].classifier, "rules");
  EXPECT_FLOAT_EQ(merged[0].also[1].score, 0.7f);
  EXPECT_EQ(merged[0].also[1].generation, 3u);
  EXPECT_EQ(*merged[0].also[1].evidence, std::vector<std::string>{"台风"});
  // A vote under min_score is not worth showing.
  EXPECT_EQ(merged[1].name, "politics");
  EXPECT_EQ(merged[1].classifier, "rules");
  EXPECT_TRUE(merged[1].also.empty());
}

TEST(LabelMergeTest, OrderOfClassifiersDoesNotChangeTheResult) {
  auto a = Labels({{"finance", 0.5f}});
  auto b = Labels({{"finance", 0.5f}});
  LabelSource forward[] = {{"x", 1, 1.0, &a}, {"y", 1, 1.0, &b}};
  LabelSource backward[] = {{"y", 1, 1.0, &b}, {"x", 1, 1.0, &a}};
  for (auto* sources : {forward, backward}) {
    auto merged = MergeLabels(std::span<const LabelSource>(sources, 2), 10, 0);
    ASSERT_EQ(merged.size(), 1u);
    EXPECT_EQ(merged[0].classifier, "x");
    ASSERT_EQ(merged[0].also.size(), 1u);
    EXPECT_EQ(merged[0].also[0].classifier, "y");
  }
}

TEST(LabelMergeTest, NoSourcesNoLabels) {
  EXPECT_TRUE(MergeLabels({}, 5, 0.0f).empty());
  EXPECT_TRUE(MergeLabels({}, 5, 0.5f).empty());
}

TEST(LabelMergeTest, LabelsAboveMinScoreAreNeverLowConfidence) {
  auto a = Labels({{"finance", 0.5f}, {"sports", 0.05f}});
  LabelSource sources[] = {{"x", 1, 1.0, &a}};
  // At exactly min_score a label qualifies.
  auto merged = MergeLabels(sources, 10, 0.5f);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].name, "finance");
  EXPECT_FALSE(merged[0].low_confidence);
}

TEST(LabelMergeTest, WhenNoneQualifiesReturnsOnlyTheBestFlaggedLowConfidence) {
  auto model = Labels({{"finance", 0.2f}, {"sports", 0.3f}, {"games", 0.1f}});
  auto rules = Labels({{"finance", 0.25f}});
  rules[0].evidence = {"股"};
  LabelSource sources[] = {{"model", 1, 1.0, &model},
                           {"rules", 2, 1.0, &rules}};
  auto merged = MergeLabels(sources, 5, 0.5f);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].name, "sports");
  EXPECT_FLOAT_EQ(merged[0].score, 0.3f);
  EXPECT_EQ(merged[0].classifier, "model");
  EXPECT_TRUE(merged[0].low_confidence);
  // Votes under min_score are not shown, not even for the best guess.
  EXPECT_TRUE(merged[0].also.empty());
}

TEST(LabelMergeTest, TheBestGuessIsChosenAfterWeights) {
  auto a = Labels({{"finance", 0.4f}});
  auto b = Labels({{"sports", 0.3f}});
  LabelSource sources[] = {{"a", 1, 0.5, &a}, {"b", 1, 1.0, &b}};
  auto merged = MergeLabels(sources, 5, 0.9f);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].name, "sports");  // 0.3 beats 0.4 * 0.5.
  EXPECT_TRUE(merged[0].low_confidence);
}

TEST(LabelMergeTest, TheBestGuessBreaksTiesLikeTheRankedList) {
  auto a = Labels({{"zeta", 0.2f}, {"alpha", 0.2f}});
  LabelSource sources[] = {{"x", 1, 1.0, &a}};
  auto merged = MergeLabels(sources, 1, 0.5f);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].name, "zeta");  // Its classifier ranked it first.
  EXPECT_TRUE(merged[0].low_confidence);
}

TEST(LabelMergeTest, EqualScoresKeepTheClassifiersOwnOrder) {
  // A one-vs-all model's sigmoids saturate: two labels can both read 1.0f
  // although the model ranked one above the other.
  auto a = Labels({{"society", 1.0f}, {"entertainment", 1.0f}});
  LabelSource sources[] = {{"x", 1, 1.0, &a}};
  auto merged = MergeLabels(sources, 5, 0.1f);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].name, "society");
  EXPECT_EQ(merged[1].name, "entertainment");
}

TEST(LabelMergeTest, ClassifiersThatGaveNoLabelGiveNoBestGuess) {
  std::vector<PluginLabel> none;
  LabelSource sources[] = {{"a", 1, 1.0, &none}, {"b", 1, 1.0, nullptr}};
  EXPECT_TRUE(MergeLabels(sources, 5, 0.1f).empty());
}

TEST(LabelMergeTest, AZeroMinScoreNeverNeedsABestGuess) {
  auto a = Labels({{"finance", 0.0f}, {"sports", 0.01f}});
  LabelSource sources[] = {{"x", 1, 1.0, &a}};
  auto merged = MergeLabels(sources, 5, 0.0f);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_FALSE(merged[0].low_confidence);
  EXPECT_FALSE(merged[1].low_confidence);
}

}  // namespace
}  // namespace classifyd
