// Contract tests of the bundled lexicon plugin: lexicon.so goes through the
// daemon's real loader (PluginLibrary::Open + Classifier::Create) with the
// bundled rules (models/lexicon/rules.toml) and with small rules files.
//
// The headlines are quoted from models/news-topics/sanity_headlines.txt
// (2023 news) and from the public sets in shared/data; none is made up.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "plugin/classifier.h"
#include "plugin/manifest.h"
#include "plugin/plugin_library.h"
#include "testing/daemon_process.h"
#include "testing/failure_of.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::PluginLibDir;
using testing::SourceDir;

std::string BundledRules() {
  return SourceDir() + "/models/lexicon/rules.toml";
}

std::shared_ptr<PluginLibrary> OpenLexicon() {
  auto r = PluginLibrary::Open(PluginLibDir() + "/lexicon.so", "");
  if (const std::optional<std::string> e = testing::FailureOf(r)) {
    ADD_FAILURE() << *e;
    return nullptr;
  }
  return r.value();
}

Manifest ManifestFor(
    const std::shared_ptr<PluginLibrary>& lib, const std::string& rules,
    std::vector<std::pair<std::string, std::string>> opts = {}) {
  Manifest m;
  m.name = "lexicon";
  m.manifest_path = "/test/lexicon.toml";
  m.plugin = "lexicon";
  m.library_path = lib->path();
  m.model_path = rules;
  m.options = std::move(opts);
  return m;
}

// Creates a classifier or fails the test with the plugin's message.
std::unique_ptr<Classifier> Create(const Manifest& manifest,
                                   std::shared_ptr<PluginLibrary> lib) {
  auto created = Classifier::Create(manifest, std::move(lib), 1);
  if (const std::optional<std::string> e = testing::FailureOf(created)) {
    ADD_FAILURE() << *e;
    return nullptr;
  }
  return std::move(created.value());
}

// Why create() refused `rules` (the text of a rules file).
std::string CreateError(
    const std::string& rules_text,
    std::vector<std::pair<std::string, std::string>> opts = {}) {
  auto lib = OpenLexicon();
  testing::TempDir dir;
  const std::string path = dir.WriteFile("rules.toml", rules_text);
  auto created =
      Classifier::Create(ManifestFor(lib, path, std::move(opts)), lib, 1);
  const std::optional<std::string> e = testing::FailureOf(created);
  return e.has_value() ? *e : "<created>";
}

std::vector<DocumentOutcome> Classify(const Classifier& c,
                                      std::vector<std::string_view> texts,
                                      uint32_t top_k = 0, float min_score = 0) {
  std::vector<DocumentOutcome> out;
  c.ClassifyBatch(texts, top_k, min_score, &out);
  return out;
}

std::vector<std::string> Names(const DocumentOutcome& o) {
  std::vector<std::string> names;
  for (const PluginLabel& l : o.labels) names.emplace_back(l.name);
  std::sort(names.begin(), names.end());
  return names;
}

const PluginLabel* Find(const DocumentOutcome& o, const std::string& name) {
  for (const PluginLabel& l : o.labels) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

class BundledLexiconTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lib_ = OpenLexicon();
    ASSERT_NE(lib_, nullptr);
    classifier_ = Create(ManifestFor(lib_, BundledRules()), lib_);
    ASSERT_NE(classifier_, nullptr);
  }

  std::shared_ptr<PluginLibrary> lib_;
  std::unique_ptr<Classifier> classifier_;
};

TEST(LexiconPluginTest, LoadsThroughTheLoaderAndDeclaresEvidence) {
  auto lib = OpenLexicon();
  ASSERT_NE(lib, nullptr);
  EXPECT_EQ(lib->name(), "lexicon");
  EXPECT_EQ(lib->abi_version(), "1.1");
  EXPECT_EQ(lib->api().capabilities & CLASSIFYD_CAP_EVIDENCE,
            CLASSIFYD_CAP_EVIDENCE);
}

TEST(LexiconPluginTest, TheBundledManifestNamesTheBundledRules) {
  auto parsed = LoadManifest(SourceDir() + "/models/plugins.d/lexicon.toml",
                             PluginLibDir());
  ASSERT_TRUE(parsed.ok()) << std::string(parsed.status().message());
  const Manifest& m = parsed.value();
  EXPECT_EQ(m.name, "lexicon");
  EXPECT_EQ(m.library_path, PluginLibDir() + "/lexicon.so");
  EXPECT_EQ(m.model_path, BundledRules());
  auto lib = OpenLexicon();
  ASSERT_NE(lib, nullptr);
  Manifest with_lib = m;
  with_lib.library_path = lib->path();
  auto c = Create(with_lib, lib);
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(c->labels(),
              ElementsAre("fraud", "disaster", "weather", "diplomacy",
                          "politics", "health", "science", "military"));
}

TEST_F(BundledLexiconTest, TagsTheReferenceHeadlinesWithEvidence) {
  auto out = Classify(*classifier_,
                      {"中泰缅老四国警方启动合作打击赌诈集团专项联合行动",
                       "中央气象台:“苏拉”已达强台风级", "中东四国加入金砖",
                       "所有A股投资者下周统一降费"});
  ASSERT_EQ(out.size(), 4u);
  for (const DocumentOutcome& o : out) EXPECT_EQ(o.code, CLASSIFYD_OK);

  EXPECT_THAT(Names(out[0]), ElementsAre("fraud"));
  EXPECT_GE(out[0].labels[0].score, 0.9f);
  EXPECT_THAT(out[0].labels[0].evidence, Contains("赌诈"));

  const PluginLabel* weather = Find(out[1], "weather");
  ASSERT_NE(weather, nullptr);
  EXPECT_GE(weather->score, 0.9f);
  EXPECT_LE(weather->score, 1.0f);
  EXPECT_THAT(weather->evidence,
              AllOf(Contains("中央气象台"), Contains("强台风")));
  EXPECT_EQ(out[1].labels[0].name, "weather");  // Best first.

  EXPECT_THAT(Names(out[2]), ElementsAre("diplomacy"));
  EXPECT_GE(out[2].labels[0].score, 0.8f);
  EXPECT_THAT(out[2].labels[0].evidence, ElementsAre("加入金砖"));

  EXPECT_THAT(out[3].labels, IsEmpty());  // finance is fastText's job.
}

TEST_F(BundledLexiconTest, TraditionalScriptGetsTheSameLabelWithOriginalEvidence) {
  // The headline of issue 12, in Traditional characters, and the same in
  // Simplified ones: the rules are written in Simplified, the normaliser
  // folds the Traditional text to them, and the evidence is still quoted
  // from the document as it was sent.
  auto out = Classify(*classifier_,
                      {"警方破獲電信詐騙集團", "警方破获电信诈骗集团"});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_THAT(Names(out[0]), ElementsAre("fraud"));
  ASSERT_THAT(Names(out[1]), ElementsAre("fraud"));
  EXPECT_FLOAT_EQ(out[0].labels[0].score, out[1].labels[0].score);
  EXPECT_THAT(out[0].labels[0].evidence,
              ElementsAre("破獲電信詐騙", "電信詐騙", "詐騙集團"));
  EXPECT_THAT(out[1].labels[0].evidence,
              ElementsAre("破获电信诈骗", "电信诈骗", "诈骗集团"));
}

TEST_F(BundledLexiconTest, TagsOtherCurrentHeadlines) {
  auto out = Classify(
      *classifier_, {"缅北果敢电诈犯罪集团头目被移交我方",
                     "外交部:中方愿同美方共同努力推动两国关系重回正轨",
                     "北京遭遇极端强降雨 门头沟多地受灾",
                     "日本启动福岛核污染水排海 中方强烈反对",
                     // shared/data: DuEE, NLPCC society
                     "“利奇马”台风致浙江死亡人数升至32人",
                     "四川省达州市委副书记易杰履新不满3个月落马,曾是谭力下属"});
  ASSERT_EQ(out.size(), 6u);
  EXPECT_THAT(Names(out[0]), ElementsAre("fraud"));
  EXPECT_THAT(out[0].labels[0].evidence, Contains("电诈"));
  EXPECT_THAT(Names(out[1]), ElementsAre("diplomacy"));
  EXPECT_THAT(out[1].labels[0].evidence,
              AllOf(Contains("两国关系"), Contains("中方")));
  EXPECT_THAT(Names(out[2]), ElementsAre("disaster", "weather"));
  EXPECT_THAT(Find(out[2], "disaster")->evidence, Contains("受灾"));
  EXPECT_THAT(Names(out[3]), ElementsAre("diplomacy"));
  EXPECT_THAT(Names(out[4]), Contains("disaster"));
  EXPECT_THAT(Names(out[5]), ElementsAre("politics"));
  EXPECT_THAT(out[5].labels[0].evidence[0], HasSubstr("落马"));
}

TEST_F(BundledLexiconTest, TagsPublicHealthScienceAndMilitaryNews) {
  // sanity_headlines.txt, then CCTV stories of the calibration sample
  // (shared/data xinwenlianbo_cctv, models/devsets/cctv_calib.tsv).
  auto out = Classify(*classifier_,
                      {"支原体肺炎进入高发期 儿童医院就诊量激增",
                       "解放军东部战区在台岛周边开展联合演训",
                       "天舟五号货运飞船完成与空间站组合体再次交会对接",
                       "医保政策综合施策 着力减轻群众看病就医负担",
                       "以军密集轰炸加沙地带 巴武装组织袭击以士兵",
                       "我国外贸向好态势继续巩固"});
  ASSERT_EQ(out.size(), 6u);
  EXPECT_THAT(Names(out[0]), ElementsAre("health"));
  EXPECT_THAT(Names(out[1]), ElementsAre("military"));
  EXPECT_THAT(Names(out[2]), ElementsAre("science"));
  EXPECT_THAT(out[2].labels[0].evidence, Contains("空间站"));
  EXPECT_THAT(Names(out[3]), ElementsAre("health"));
  EXPECT_THAT(Names(out[4]), ElementsAre("military"));
  EXPECT_THAT(out[4].labels[0].evidence, Contains("以军"));
  EXPECT_THAT(Names(out[5]), IsEmpty());  // finance is fastText's job.
}

TEST_F(BundledLexiconTest, PartyDisciplineIsPoliticsAndSabotageIsNoDisaster) {
  // CCTV stories (shared/data xinwenlianbo_cctv; the last three from
  // models/devsets/cctv_calib.tsv), headline and lead: an inspection round,
  // the discipline commission's communiqué, a pipeline blown up on
  // purpose, and the "main battlefield" of youth work.
  auto out = Classify(
      *classifier_,
      {"二十届中央第三轮巡视完成进驻",
       "中国共产党第二十届中央纪律检查委员会第二次全体会议公报",
       "普京称破坏“北溪”是国家恐怖主义行为 俄罗斯总统普京22日发表讲话称，"
       "为了消除竞争对手并获得优势，有人使用了不公平的竞争方法，破坏运输和"
       "物流链以及国际支付渠道，甚至实施国家恐怖主义行为，“北溪”天然气管道"
       "爆炸事件就是一个明显的例子。",
       "80余万支青年突击队奋斗在国家需要主战场 "
       "今天（1月13日）是我国第一支青年突击队成立70周年。"});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_THAT(Names(out[0]), ElementsAre("politics"));
  EXPECT_THAT(Names(out[1]), ElementsAre("politics"));
  EXPECT_THAT(Names(out[2]), Not(Contains("disaster")));
  EXPECT_THAT(Names(out[3]), IsEmpty());
}

TEST_F(BundledLexiconTest, WordsOfWarForPricesAreNotMilitary) {
  // shared/data: THUCNews titles (stocks, technology).
  auto out = Classify(*classifier_,
                      {"法国手机价格战趋于白热化 iPhone最低185元",
                       "网购价格战重开 实体书店成为网购的“展览厅”"});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_THAT(Names(out[0]), IsEmpty());
  EXPECT_THAT(Names(out[1]), IsEmpty());
}

TEST_F(BundledLexiconTest, LeavesOtherTopicsAndLookalikesAlone) {
  // Current headlines of other topics (sanity_headlines.txt), then words of
  // the lexicon's topics in another sense (shared/data): Blizzard the game
  // company, the EPICENTER e-sports cup, a brand ambassador, a seeded
  // player's upset defeat ("落马"), a listicle's "被骗".
  auto out = Classify(
      *classifier_,
      {"华为Mate60 Pro突然开售 搭载麒麟芯片",
       "杭州亚运会开幕 中国代表团首日收获多枚金牌", "多地下调首套房贷利率",
       "全国秋粮收获进度过半", "《封神第一部》票房突破20亿",
       "2024年考研报名人数438万",
       "暴雪为旗下游戏打造《战网手机安全令》将推出一键登录功能",
       "首冠!LGD3-1力克Liquid拿下震中杯冠军!恭喜!",
       "章子怡出任形象大使 讲述与艾滋病童的贴身生活",
       "德国赛-林丹陈金轻松过首轮 女单六位种子落马",
       "关于啤酒七宗罪,你被骗了这么多年,你都知道吗?"});
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].code, CLASSIFYD_OK);
    EXPECT_THAT(Names(out[i]), IsEmpty()) << "document " << i;
  }
}

TEST_F(BundledLexiconTest, ConcurrentCallsGiveIdenticalResults) {
  const std::vector<std::string_view> texts = {
      "中泰缅老四国警方启动合作打击赌诈集团专项联合行动",
      "中央气象台:“苏拉”已达强台风级",
      "中东四国加入金砖",
      "所有A股投资者下周统一降费",
      "北京遭遇极端强降雨 门头沟多地受灾",
      "外交部:中方愿同美方共同努力推动两国关系重回正轨",
      "ＢＲＩＣＳ",
  };
  auto flatten = [](const std::vector<DocumentOutcome>& outcomes) {
    std::vector<std::string> flat;
    for (const DocumentOutcome& o : outcomes) {
      std::string s = std::to_string(o.code) + ":";
      for (const PluginLabel& l : o.labels) {
        s += std::string(l.name) + "=" + std::to_string(l.score) + "[";
        for (const std::string& e : l.evidence) s += e + "|";
        s += "]";
      }
      flat.push_back(s);
    }
    return flat;
  };
  const std::vector<std::string> expected =
      flatten(Classify(*classifier_, texts));
  ASSERT_FALSE(Names(Classify(*classifier_, {texts[0]})[0]).empty());

  constexpr int kThreads = 8;
  constexpr int kRounds = 50;
  std::vector<std::vector<std::string>> mismatches(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        // Vary batch composition: the whole batch, or one document at a time.
        if ((round + t) % 2 == 0) {
          auto got = flatten(Classify(*classifier_, texts));
          if (got != expected) mismatches[t] = got;
        } else {
          for (size_t i = 0; i < texts.size(); ++i) {
            auto got = flatten(Classify(*classifier_, {texts[i]}));
            if (got[0] != expected[i]) mismatches[t] = got;
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_THAT(mismatches[t], IsEmpty()) << "thread " << t;
  }
}

TEST(LexiconPluginTest, ScoresExclusionsMinScoreAndHostOptions) {
  auto lib = OpenLexicon();
  ASSERT_NE(lib, nullptr);
  testing::TempDir dir;
  const std::string rules = dir.WriteFile("rules.toml", R"(
[fraud]
min_score = 0.6
[fraud.terms]
"alpha" = 0.5
"beta" = 0.4
[fraud.exclude]
terms = ["veto"]
[weather.terms]
"beta" = 0.9
)");
  auto c = Create(ManifestFor(lib, rules, {{"max_evidence", "1"}}), lib);
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(c->labels(), ElementsAre("fraud", "weather"));
  auto out = Classify(
      *c, {"alpha", "alpha beta beta", "alpha beta veto", "ALPHA Beta"});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_THAT(out[0].labels, IsEmpty());  // 0.5 < min_score 0.6
  const PluginLabel* fraud = Find(out[1], "fraud");
  ASSERT_NE(fraud, nullptr);
  EXPECT_FLOAT_EQ(fraud->score, 0.7f);
  EXPECT_THAT(fraud->evidence, ElementsAre("alpha"));  // max_evidence = 1
  EXPECT_THAT(Names(out[2]), ElementsAre("weather"));  // fraud vetoed
  EXPECT_THAT(Find(out[3], "fraud")->evidence, ElementsAre("ALPHA"));

  // The host's top_k and min_score are applied, best label first.
  auto top1 = Classify(*c, {"alpha beta"}, 1, 0);
  ASSERT_EQ(top1[0].labels.size(), 1u);
  EXPECT_EQ(top1[0].labels[0].name, "weather");
  EXPECT_THAT(Names(Classify(*c, {"alpha beta"}, 0, 0.8f)[0]),
              ElementsAre("weather"));
}

TEST(LexiconPluginTest, RefusesBrokenRulesFilesWithFileLineAndRule) {
  struct Case {
    std::string rules;
    std::vector<std::string> expected;
  } cases[] = {
      {"[fraud.terms]\n\"诈骗\" = 0.8\n[fraud.patterns\n",
       {"line 3", "invalid TOML"}},
      {"[fraud]\nweight = 0.5\n[fraud.terms]\n\"诈骗\" = 0.8\n",
       {"line 2", "label 'fraud'", "unknown key 'weight'"}},
      {"[fraud.terms]\n\"诈骗\" = 0.8\n[fraud.patterns]\n'诈骗(团伙' = 0.9\n",
       {"line 4", "label 'fraud'", "pattern '诈骗(团伙'",
        "Hyperscan rejects it", "Missing close parenthesis"}},
      {"[scams.terms]\n\"诈骗\" = 0.8\n", {"line 1", "unknown label 'scams'"}},
  };
  for (const Case& c : cases) {
    const std::string error = CreateError(c.rules);
    EXPECT_THAT(error, HasSubstr("could not create classifier 'lexicon'"));
    EXPECT_THAT(error, HasSubstr("rules file '/"));
    EXPECT_THAT(error, HasSubstr("/rules.toml'"));
    for (const std::string& part : c.expected) {
      EXPECT_THAT(error, HasSubstr(part)) << c.rules;
    }
  }
}

TEST(LexiconPluginTest, RefusesBadManifestSettings) {
  auto lib = OpenLexicon();
  ASSERT_NE(lib, nullptr);
  auto error = [&](const Manifest& m) {
    auto created = Classifier::Create(m, lib, 1);
    const std::optional<std::string> e = testing::FailureOf(created);
    return e.has_value() ? *e : "<created>";
  };
  EXPECT_THAT(error(ManifestFor(lib, "")), HasSubstr("needs its rules file"));
  EXPECT_THAT(error(ManifestFor(lib, "/nonexistent/rules.toml")),
              HasSubstr("cannot read rules file '/nonexistent/rules.toml'"));
  EXPECT_THAT(error(ManifestFor(lib, BundledRules(), {{"top_k", "3"}})),
              HasSubstr("unknown option 'top_k'"));
  EXPECT_THAT(error(ManifestFor(lib, BundledRules(), {{"max_evidence", "0"}})),
              HasSubstr("'max_evidence' must be an integer in [1, 100]"));
}

}  // namespace
}  // namespace classifyd
