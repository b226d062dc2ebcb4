// The fastText scorer shared by the plugin and classifyd-train
// (plugins/fasttext/label_scorer.h), on the bundled model: labels ranked by
// exact logits with exact sigmoid scores, which agree with fastText's own
// predict() within its sigmoid table's precision wherever the table is not
// saturated at 1.0.
#include "label_scorer.h"

#include <fasttext/fasttext.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "testing/daemon_process.h"
#include "testing/fasttext_models.h"
#include "testing/temp_dir.h"
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

// What fastText's own Dictionary::getLine() makes of the tokenised line,
// which is what the model was trained on.
std::vector<int32_t> WordsByGetLine(const fasttext::FastText& model,
                                    const std::string& text) {
  std::vector<int32_t> words, labels;
  const std::string line = text::ToFastTextLine(text);
  if (line.empty()) return words;
  std::istringstream in(line + "\n");
  model.getDictionary()->getLine(in, words, labels);
  return words;
}

// The bench's headlines, the headlines above, and text in other scripts.
std::vector<std::string> ManyTexts() {
  std::vector<std::string> texts = kHeadlines;
  std::ifstream in(testing::SourceDir() + "/bench/data/headlines.txt");
  for (std::string line; std::getline(in, line);) texts.push_back(line);
  texts.insert(texts.end(),
               {"Typhoon Saola makes landfall in Guangdong", "GDP 增长 5.2%",
                "__label__finance 股市", "東京で地震 서울 날씨", "x", "</s>",
                "ＡＢＣ１２３ 全角", std::string(5000, 'a') + " 长"});
  return texts;
}

TEST_F(LabelScorerTest, WordsAreTheIdsFastTextGivesTheTokenisedLine) {
  const std::vector<std::string> texts = ManyTexts();
  ASSERT_GT(texts.size(), 1000u);
  for (const std::string& path :
       {testing::BundledModelPath(),
        testing::SourceDir() + "/models/news-topics-en/model.ftz"}) {
    LabelScorer scorer;
    scorer.Load(path, "__label__");
    fasttext::FastText model;
    model.loadModel(path);
    for (const std::string& text : texts) {
      ASSERT_EQ(scorer.Words(text), WordsByGetLine(model, text))
          << path << ": " << text.substr(0, 80);
    }
  }
}

// Models like the bundled one (characters, word n-grams 3) that also have
// character n-grams (3-6, fastText's default), trained in a second on
// the bench's headlines: unquantised, every n-gram bucket has a row;
// quantised with a cutoff, only some do.
TEST_F(LabelScorerTest, WordsMatchFastTextWithAndWithoutACutoff) {
  const std::vector<std::string> texts = ManyTexts();
  testing::TempDir dir;
  std::string train;
  for (size_t i = 0; i < 400 && i < texts.size(); ++i) {
    const std::string line = text::ToFastTextLine(texts[i]);
    if (line.empty()) continue;
    train += "__label__l" + std::to_string(i % 3) + " " + line + "\n";
  }
  fasttext::Args args =
      testing::TinySupervisedArgs(dir.WriteFile("train.txt", train));
  args.wordNgrams = 3;
  args.minn = 3;
  args.maxn = 6;
  args.bucket = 5000;
  {
    fasttext::FastText model;
    model.train(args);
    model.saveModel(dir.path() + "/model.bin");
    fasttext::Args qargs = args;
    qargs.cutoff = model.getDictionary()->nwords() + 1000;
    model.quantize(qargs);
    model.saveModel(dir.path() + "/model.ftz");
  }
  // N-gram ids of all texts, per model.
  std::map<std::string, size_t> ngrams;
  for (const std::string name : {"model.bin", "model.ftz"}) {
    const std::string path = dir.path() + "/" + name;
    LabelScorer scorer;
    scorer.Load(path, "__label__");
    fasttext::FastText model;
    model.loadModel(path);
    const int32_t nwords = model.getDictionary()->nwords();
    for (const std::string& text : texts) {
      const std::vector<int32_t> words = WordsByGetLine(model, text);
      ASSERT_EQ(scorer.Words(text), words) << name << ": " << text;
      ngrams[name] += std::count_if(words.begin(), words.end(),
                                    [&](int32_t id) { return id >= nwords; });
    }
  }
  EXPECT_GT(ngrams["model.ftz"], 1000u);
  EXPECT_LT(ngrams["model.ftz"], ngrams["model.bin"]);  // Some were cut.
}

TEST_F(LabelScorerTest, TextWithoutTokensGetsNoLabels) {
  EXPECT_TRUE(scorer_.Words("  !!! ").empty());
  EXPECT_TRUE(scorer_.Rank(scorer_.Words("  !!! "), 5, 0.0f).empty());
}

}  // namespace
}  // namespace classifyd::plugins
