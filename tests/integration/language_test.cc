// Integration tests of language routing against the real daemon: each
// document's detected language (or the one its request gives), classifiers
// that skip languages their manifest does not list, and the per-document
// FAILED_PRECONDITION when no selected classifier covers it, over unary,
// batch and stream calls.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "testing/classify_call.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::DaemonProcess;
using testing::KeywordManifest;

// One sentence of sib200_topic test.tsv (FLORES-200, index_id 558) in
// three of its languages; none made up.
constexpr char kSimplified[] = "原子核由中子和质子这两种粒子组成。";
constexpr char kTraditional[] = "原子核由中子和質子兩種粒子組成。";
constexpr char kEnglish[] =
    "The nucleus consists of two particles - neutrons and protons.";

std::string WithLanguages(const std::string& languages,
                          const std::string& rules) {
  return "languages = " + languages + "\n" + KeywordManifest(rules);
}

class LanguageTest : public ::testing::Test {
 protected:
  // "zh" labels the Chinese sentence, "en" the English one, "any" (no
  // `languages`) both.
  void SetUp() override {
    plugins_.WriteFile("zh.toml", WithLanguages("[\"zh\"]", "原子核=science"));
    plugins_.WriteFile("en.toml", WithLanguages("[\"en\"]", "nucleus=science"));
    plugins_.WriteFile("any.toml",
                       KeywordManifest("原子核=physics;nucleus=physics"));
    daemon_ = DaemonProcess::Start(plugins_.path());
    ASSERT_NE(daemon_, nullptr);
    stub_ = v1::Classifier::NewStub(daemon_->NewChannel());
  }

  grpc::Status Classify(const std::string& text,
                        const std::vector<std::string>& plugins,
                        v1::ClassifyResponse* response) {
    return testing::ClassifyText(*stub_, text, response, plugins,
                                 std::chrono::seconds(30));
  }

  // name -> status code of each ClassifierRun.
  static std::map<std::string, int> Runs(const v1::ClassifyResponse& r) {
    std::map<std::string, int> runs;
    for (const auto& run : r.classifiers()) {
      runs[run.name()] = run.status().code();
    }
    return runs;
  }

  testing::TempDir plugins_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::Classifier::Stub> stub_;
};

constexpr int kFailedPrecondition = grpc::StatusCode::FAILED_PRECONDITION;

TEST_F(LanguageTest, EachDocumentRunsOnTheClassifiersCoveringItsLanguage) {
  v1::ClassifyResponse response;
  for (const char* chinese : {kSimplified, kTraditional}) {
    ASSERT_TRUE(Classify(chinese, {}, &response).ok());
    EXPECT_EQ(response.language(),
              chinese == kSimplified ? "zh-Hans" : "zh-Hant");
    EXPECT_EQ(Runs(response),
              (std::map<std::string, int>{
                  {"any", 0}, {"en", kFailedPrecondition}, {"zh", 0}}));
    ASSERT_EQ(response.labels_size(), 2);  // physics (any), science (zh).
    for (const auto& run : response.classifiers()) {
      if (run.name() == "en") {
        EXPECT_EQ(run.status().message(),
                  "does not cover language '" + response.language() +
                      "' (covers: en)");
      }
    }
  }

  ASSERT_TRUE(Classify(kEnglish, {}, &response).ok());
  EXPECT_EQ(response.language(), "en");
  EXPECT_EQ(Runs(response),
            (std::map<std::string, int>{
                {"any", 0}, {"en", 0}, {"zh", kFailedPrecondition}}));
  EXPECT_EQ(response.labels_size(), 2);

  // No letters: the language cannot be told, and every classifier runs.
  ASSERT_TRUE(Classify("12345 67.8%", {}, &response).ok());
  EXPECT_EQ(response.language(), "und");
  EXPECT_EQ(Runs(response),
            (std::map<std::string, int>{{"any", 0}, {"en", 0}, {"zh", 0}}));
}

TEST_F(LanguageTest, NoCoveringClassifierFailsTheDocumentWithAClearStatus) {
  v1::ClassifyResponse response;
  const grpc::Status status = Classify(kEnglish, {"zh"}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(),
            "no classifier covers language 'en' (covered: zh)");

  // In a batch, only that document fails.
  v1::ClassifyBatchRequest batch;
  for (const char* text : {kEnglish, kSimplified}) {
    auto* document = batch.add_documents();
    document->set_text(text);
    document->add_plugins("zh");
  }
  grpc::ClientContext context;
  v1::ClassifyBatchResponse results;
  ASSERT_TRUE(stub_->ClassifyBatch(&context, batch, &results).ok());
  ASSERT_EQ(results.results_size(), 2);
  EXPECT_EQ(results.results(0).error().code(), kFailedPrecondition);
  EXPECT_THAT(results.results(0).error().message(),
              HasSubstr("language 'en'"));
  EXPECT_EQ(results.results(0).language(), "en");
  EXPECT_EQ(results.results(0).labels_size(), 0);
  EXPECT_EQ(results.results(1).error().code(), 0);
  EXPECT_EQ(results.results(1).labels_size(), 1);

  // On a stream, it gets its error and the stream goes on.
  grpc::ClientContext stream_context;
  auto stream = stub_->ClassifyStream(&stream_context);
  for (const auto& document : batch.documents()) {
    ASSERT_TRUE(stream->Write(document));
  }
  stream->WritesDone();
  std::vector<v1::ClassifyResponse> answers;
  for (v1::ClassifyResponse r; stream->Read(&r);) answers.push_back(r);
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].error().code(), kFailedPrecondition);
  EXPECT_EQ(answers[1].error().code(), 0);
}

TEST_F(LanguageTest, TheClientsLanguageReplacesDetection) {
  // An AG News World headline (2004) that the detector reads as Spanish.
  constexpr char kShortEnglish[] = "Colombia militant gunned down";
  auto classify = [&](const std::string& text, const std::string& language,
                      v1::ClassifyResponse* response) {
    v1::ClassifyRequest request;
    request.set_text(text);
    request.set_language(language);
    grpc::ClientContext context;
    return stub_->Classify(&context, request, response);
  };
  v1::ClassifyResponse response;
  ASSERT_TRUE(classify(kShortEnglish, "", &response).ok());
  EXPECT_EQ(response.language(), "es");
  EXPECT_EQ(Runs(response)["en"], kFailedPrecondition);

  ASSERT_TRUE(classify(kShortEnglish, "en", &response).ok());
  EXPECT_EQ(response.language(), "en");
  EXPECT_EQ(Runs(response),
            (std::map<std::string, int>{
                {"any", 0}, {"en", 0}, {"zh", kFailedPrecondition}}));

  // The tag comes back canonical, and routes as a detected one would.
  ASSERT_TRUE(classify(kTraditional, "ZH-hant", &response).ok());
  EXPECT_EQ(response.language(), "zh-Hant");
  EXPECT_EQ(Runs(response)["zh"], 0);
  ASSERT_TRUE(classify(kSimplified, "ja", &response).ok());
  EXPECT_EQ(response.language(), "ja");
  EXPECT_EQ(Runs(response),
            (std::map<std::string, int>{{"any", 0},
                                        {"en", kFailedPrecondition},
                                        {"zh", kFailedPrecondition}}));

  const grpc::Status bad = classify(kSimplified, "zh_Hant", &response);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message(),
            "language 'zh_Hant' is not a well-formed BCP 47 tag (e.g. \"en\", "
            "\"zh-Hant\")");
}

TEST_F(LanguageTest, ListPluginsShowsTheLanguages) {
  grpc::ClientContext context;
  v1::ListPluginsResponse list;
  ASSERT_TRUE(stub_->ListPlugins(&context, {}, &list).ok());
  ASSERT_EQ(list.plugins_size(), 3);
  EXPECT_THAT(list.plugins(0).languages(), ElementsAre());  // any
  EXPECT_THAT(list.plugins(1).languages(), ElementsAre("en"));
  EXPECT_THAT(list.plugins(2).languages(), ElementsAre("zh"));
}

// The shipped manifests (models/plugins.d), with their relative paths
// (model, calibration) made absolute, in a directory of their own.
std::unique_ptr<DaemonProcess> StartBundled(
    testing::TempDir& plugins, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    std::ifstream in(testing::SourceDir() + "/models/plugins.d/" + name);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    const std::string relative = "= \"../";
    for (size_t at = text.find(relative); at != std::string::npos;
         at = text.find(relative, at)) {
      text.replace(at, relative.size(),
                   "= \"" + testing::SourceDir() + "/models/");
    }
    plugins.WriteFile(name, text);
  }
  return DaemonProcess::Start(plugins.path());
}

// Every shipped manifest, as the daemon runs by default.
std::unique_ptr<DaemonProcess> StartEveryBundled(testing::TempDir& plugins) {
  return StartBundled(plugins, {"news-topics.toml", "lexicon.toml",
                                "news-topics-en.toml", "lexicon-en.toml"});
}

TEST(BundledManifestsTest, TheChineseClassifiersCoverChineseOnly) {
  testing::TempDir plugins;
  auto daemon = StartBundled(plugins, {"news-topics.toml", "lexicon.toml"});
  ASSERT_NE(daemon, nullptr);
  auto stub = v1::Classifier::NewStub(daemon->NewChannel());
  v1::ClassifyResponse response;
  const grpc::Status status = testing::ClassifyText(*stub, kEnglish, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(),
            "no classifier covers language 'en' (covered: zh)");
  // A Traditional headline reaches both (issue 12's).
  ASSERT_TRUE(
      testing::ClassifyText(*stub, "警方破獲電信詐騙集團", &response).ok());
  EXPECT_EQ(response.language(), "zh-Hant");
  EXPECT_EQ(response.classifiers_size(), 2);
  const auto fraud =
      std::find_if(response.labels().begin(), response.labels().end(),
                   [](const v1::Label& l) { return l.name() == "fraud"; });
  ASSERT_NE(fraud, response.labels().end()) << response.DebugString();
  // Both say fraud; the lexicon's vote, the label's own or one beside it,
  // quotes the document in its own script.
  const google::protobuf::RepeatedPtrField<std::string>* evidence =
      fraud->plugin() == "lexicon" ? &fraud->evidence() : nullptr;
  for (const v1::LabelVote& vote : fraud->also_from()) {
    if (vote.plugin() == "lexicon") evidence = &vote.evidence();
  }
  ASSERT_NE(evidence, nullptr) << response.DebugString();
  EXPECT_THAT(*evidence, ::testing::Contains("電信詐騙"));
}

TEST(BundledManifestsTest, EnglishGoesToTheEnglishClassifiers) {
  testing::TempDir plugins;
  auto daemon = StartEveryBundled(plugins);
  ASSERT_NE(daemon, nullptr);
  auto stub = v1::Classifier::NewStub(daemon->NewChannel());
  v1::ClassifyResponse response;
  ASSERT_TRUE(testing::ClassifyText(*stub, kEnglish, &response).ok());
  EXPECT_EQ(response.language(), "en");
  ASSERT_GT(response.labels_size(), 0);
  for (const v1::Label& label : response.labels()) {
    EXPECT_THAT(label.plugin(), ::testing::EndsWith("-en")) << label.name();
  }
  // Every score is in [0, 1] after calibration.
  for (const v1::Label& label : response.labels()) {
    EXPECT_GE(label.score(), 0.0f);
    EXPECT_LE(label.score(), 1.0f);
  }
}

// A text whose language cannot be told runs on every classifier; one of a
// single token, which no bundled model can judge, gets no label rather
// than a confident guess.
TEST(BundledManifestsTest, ASingleTokenOfNoKnownLanguageGetsNoLabel) {
  testing::TempDir plugins;
  auto daemon = StartEveryBundled(plugins);
  ASSERT_NE(daemon, nullptr);
  auto stub = v1::Classifier::NewStub(daemon->NewChannel());
  for (const char* text : {"x", "5G"}) {
    v1::ClassifyResponse response;
    ASSERT_TRUE(testing::ClassifyText(*stub, text, &response).ok()) << text;
    EXPECT_EQ(response.language(), "und") << text;
    EXPECT_EQ(response.labels_size(), 0) << response.DebugString();
  }
}

}  // namespace
}  // namespace classifyd
