// ClassifyEngine over a real registry of keyword classifiers
// (tests/plugins/keyword_plugin.cc) and a real invoker, without gRPC: what
// a call answers for each document, and that one document's problem never
// reaches another.
#include "service/classify_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::KeywordManifest;

class ClassifyEngineTest : public ::testing::Test {
 protected:
  // Loads every manifest written so far; a second call reloads.
  void Load(ServiceLimits limits = {}) {
    ClassifierRegistry::Options options;
    options.plugin_dir = plugins_.path();
    options.plugin_lib_dir = testing::PluginLibDir();
    options.private_lib_dir = private_.path();
    options.invoker = &invoker_;
    registry_ = std::make_unique<ClassifierRegistry>(options, &retirer_);
    registry_->Reconcile();
    engine_ = std::make_unique<ClassifyEngine>(registry_.get(), &invoker_,
                                               limits);
  }

  // The engine's answers to documents with these texts (and `plugins`).
  std::vector<v1::ClassifyResponse> Classify(
      const std::vector<std::string>& texts,
      const std::vector<std::string>& plugins = {}) {
    std::vector<v1::ClassifyRequest> requests(texts.size());
    std::vector<v1::ClassifyResponse> responses(texts.size());
    std::vector<const v1::ClassifyRequest*> in;
    std::vector<v1::ClassifyResponse*> out;
    for (size_t i = 0; i < texts.size(); ++i) {
      requests[i].set_id(std::to_string(i));
      requests[i].set_text(texts[i]);
      for (const auto& p : plugins) requests[i].add_plugins(p);
      in.push_back(&requests[i]);
      out.push_back(&responses[i]);
    }
    engine_->Run(in, out);
    return responses;
  }

  static std::vector<std::string> LabelNames(const v1::ClassifyResponse& r) {
    std::vector<std::string> names;
    for (const auto& label : r.labels()) names.push_back(label.name());
    return names;
  }

  testing::TempDir plugins_;
  testing::TempDir private_;
  Retirer retirer_;
  Invoker invoker_;
  std::unique_ptr<ClassifierRegistry> registry_;
  std::unique_ptr<ClassifyEngine> engine_;
};

TEST_F(ClassifyEngineTest, MergesEveryClassifierAndNamesWhoGaveEachLabel) {
  plugins_.WriteFile("quakes.toml", KeywordManifest("地震=disaster"));
  plugins_.WriteFile("markets.toml",
                     KeywordManifest("股=finance", "score = 0.7"));
  Load();
  const auto responses = Classify({"地震后股市下跌"});
  const v1::ClassifyResponse& r = responses[0];
  EXPECT_FALSE(r.has_error()) << r.error().message();
  EXPECT_EQ(r.id(), "0");
  EXPECT_EQ(r.language(), "zh-Hans");
  ASSERT_THAT(LabelNames(r), ElementsAre("disaster", "finance"));
  EXPECT_EQ(r.labels(0).plugin(), "quakes");
  EXPECT_FLOAT_EQ(r.labels(0).score(), 0.9f);
  EXPECT_EQ(r.labels(1).plugin(), "markets");
  EXPECT_FLOAT_EQ(r.labels(1).score(), 0.7f);
  ASSERT_EQ(r.classifiers_size(), 2);
  for (const auto& run : r.classifiers()) {
    EXPECT_FALSE(run.has_status()) << run.name();
    EXPECT_GT(run.generation(), 0u) << run.name();
  }
}

TEST_F(ClassifyEngineTest, ABadDocumentFailsAloneInItsBatch) {
  plugins_.WriteFile("quakes.toml",
                     KeywordManifest("地震=disaster", "fail_marker = \"FAIL\""));
  Load();
  const auto r = Classify({"四川地震", "", "地震 FAIL", "又一次地震"});
  EXPECT_THAT(LabelNames(r[0]), ElementsAre("disaster"));
  EXPECT_EQ(r[1].error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(r[1].error().message(), HasSubstr("text is empty"));
  EXPECT_TRUE(r[2].has_error());
  EXPECT_EQ(r[2].labels_size(), 0);
  EXPECT_THAT(LabelNames(r[3]), ElementsAre("disaster"));
  EXPECT_FALSE(r[3].has_error());
}

TEST_F(ClassifyEngineTest, AnUnknownClassifierIsNotFoundAndNamesTheReadyOnes) {
  plugins_.WriteFile("quakes.toml", KeywordManifest("地震=disaster"));
  Load();
  const auto r = Classify({"四川地震"}, {"nope"});
  EXPECT_EQ(r[0].error().code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(r[0].error().message(), HasSubstr("'nope'"));
  EXPECT_THAT(r[0].error().message(), HasSubstr("quakes"));
}

TEST_F(ClassifyEngineTest, OnlyTheNamedClassifiersRun) {
  plugins_.WriteFile("quakes.toml", KeywordManifest("地震=disaster"));
  plugins_.WriteFile("markets.toml", KeywordManifest("股=finance"));
  Load();
  const auto r = Classify({"地震后股市下跌"}, {"markets"});
  EXPECT_THAT(LabelNames(r[0]), ElementsAre("finance"));
  ASSERT_EQ(r[0].classifiers_size(), 1);
  EXPECT_EQ(r[0].classifiers(0).name(), "markets");
}

TEST_F(ClassifyEngineTest, ALanguageNoClassifierCoversFailsWithWhatIsCovered) {
  plugins_.WriteFile("quakes.toml", "languages = [\"en\"]\n" +
                                        KeywordManifest("地震=disaster"));
  Load();
  const auto r = Classify({"四川发生地震，当地政府正在组织救援"});
  EXPECT_EQ(r[0].error().code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(r[0].error().message(),
              HasSubstr("no classifier covers language 'zh-Hans'"));
  EXPECT_THAT(r[0].error().message(), HasSubstr("en"));
}

TEST_F(ClassifyEngineTest, PluginCallsCarryAtMostMaxPluginBatchDocuments) {
  plugins_.WriteFile("sizes.toml", KeywordManifest(
                                       "地震=disaster",
                                       "report_batch_size = \"true\""));
  ServiceLimits limits;
  limits.max_plugin_batch = 4;
  Load(limits);
  const auto r = Classify(std::vector<std::string>(10, "地震"));
  std::vector<std::string> batches;
  for (const auto& response : r) {
    for (const auto& label : response.labels()) {
      if (label.name().rfind("batch:", 0) == 0) batches.push_back(label.name());
    }
  }
  EXPECT_THAT(batches, ElementsAre("batch:4", "batch:4", "batch:4", "batch:4",
                                   "batch:4", "batch:4", "batch:4", "batch:4",
                                   "batch:2", "batch:2"));
}

TEST_F(ClassifyEngineTest, WithNoClassifierReadyEveryDocumentIsUnavailable) {
  Load();
  const auto r = Classify({"四川地震", "又一次地震"});
  for (const auto& response : r) {
    EXPECT_EQ(response.error().code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_THAT(response.error().message(), HasSubstr("no classifier is ready"));
  }
}

}  // namespace
}  // namespace classifyd
