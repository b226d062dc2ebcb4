// The fastText scorer shared by the plugin and classifyd-train
// (plugins/fasttext/label_scorer.h), on the bundled model: labels ranked by
// exact logits with exact sigmoid scores, which agree with fastText's own
// predict() within its sigmoid table's precision wherever the table is not
// saturated at 1.0.
#include "label_scorer.h"

#include <fasttext/fasttext.h>
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "testing/daemon_process.h"
#include "text/tokenizer.h"

namespace classifyd::plugins {
namespace {

const std::vector<std::string> kHeadlines = {
    "中央气象台:“苏拉”已达强台风级",
    "警方破獲電信詐騙集團",
    "中东四国加入金砖",
    "期货日报:橡胶放量大涨 郑糖触底反弹",
    "皇帝洗脚盆三峡博物馆亮相(图)",
    "大钟奖预测:《国家代表》气势足 影后之争索然",
    "2010年各地高考试卷频现“世博元素”",
    "卢卡申科:不相信普里戈任座机系被导弹击落"};

class LabelScorerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scorer_.Load(testing::BundledModelPath(), "__label__");
    fasttext_.loadModel(testing::BundledModelPath());
  }
  LabelScorer scorer_;
  fasttext::FastText fasttext_;
};

TEST_F(LabelScorerTest, RanksEveryLabelByLogitWithItsExactSigmoid) {
  const auto all = static_cast<int32_t>(scorer_.labels().size());
  for (const std::string& text : kHeadlines) {
    const auto ranked = scorer_.Rank(scorer_.Words(text), all, 0.0f);
    ASSERT_EQ(ranked.size(), scorer_.labels().size()) << text;
    for (size_t i = 0; i < ranked.size(); ++i) {
      EXPECT_FLOAT_EQ(ranked[i].score,
                      static_cast<float>(1 / (1 + std::exp(-ranked[i].logit))));
      if (i > 0) {
        EXPECT_GE(ranked[i - 1].logit, ranked[i].logit) << text;
      }
    }
  }
}

TEST_F(LabelScorerTest, AgreesWithFastTextWhereItsScoresAreNotSaturated) {
  const auto all = static_cast<int32_t>(scorer_.labels().size());
  int compared = 0;
  for (const std::string& text : kHeadlines) {
    const std::vector<int32_t> words = scorer_.Words(text);
    fasttext::Predictions theirs;
    fasttext_.predict(all, words, theirs, 0.0f);
    std::vector<float> ours(scorer_.labels().size());
    for (const ScoredLabel& s : scorer_.Rank(words, all, 0.0f)) {
      ours[s.label] = s.score;
    }
    for (const auto& [log_p, label] : theirs) {
      // fastText's table returns exactly 1.0 above a logit of 8; below,
      // it is the sigmoid in steps of 1/32 of a logit, within 0.01 of the
      // exact value.
      if (std::exp(log_p) >= 0.999f) continue;
      EXPECT_NEAR(ours[label], std::exp(log_p), 0.01)
          << text << ": " << scorer_.labels()[label];
      ++compared;
    }
  }
  EXPECT_GT(compared, 50);
}

TEST_F(LabelScorerTest, ThresholdAndKCutTheRanking) {
  const std::vector<int32_t> words = scorer_.Words(kHeadlines[0]);
  const auto top2 = scorer_.Rank(words, 2, 0.0f);
  ASSERT_EQ(top2.size(), 2u);
  const auto above = scorer_.Rank(words, 100, top2[1].score);
  ASSERT_GE(above.size(), 2u);
  for (const ScoredLabel& s : above) EXPECT_GE(s.score, top2[1].score);
}

TEST_F(LabelScorerTest, TextWithoutTokensGetsNoLabels) {
  EXPECT_TRUE(scorer_.Words("  !!! ").empty());
  EXPECT_TRUE(scorer_.Rank(scorer_.Words("  !!! "), 5, 0.0f).empty());
}

}  // namespace
}  // namespace classifyd::plugins
