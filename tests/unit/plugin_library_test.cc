// Contract suite: every real plugin and every purpose-built bad plugin goes
// through the real loader.
#include "plugin/plugin_library.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "plugin/classifier.h"
#include "testing/daemon_process.h"
#include "testing/failure_of.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::PluginLibDir;
using testing::TestPluginDir;

std::string TestPlugin(const std::string& name) {
  return TestPluginDir() + "/" + name + ".so";
}

std::string OpenError(const std::string& path,
                      const std::string& private_dir = "") {
  auto r = PluginLibrary::Open(path, private_dir);
  const std::optional<std::string> e = testing::FailureOf(r);
  return e.has_value() ? *e : "<loaded>";
}

std::shared_ptr<PluginLibrary> OpenOk(const std::string& path,
                                      const std::string& private_dir = "") {
  auto r = PluginLibrary::Open(path, private_dir);
  if (const std::optional<std::string> e = testing::FailureOf(r)) {
    ADD_FAILURE() << *e;
    return nullptr;
  }
  return r.value();
}

Manifest ManifestFor(const std::string& library, const std::string& model,
                     std::vector<std::pair<std::string, std::string>> opts) {
  Manifest m;
  m.name = "test";
  m.manifest_path = "/test.toml";
  m.library_path = library;
  m.model_path = model;
  m.options = std::move(opts);
  return m;
}

TEST(PluginLibraryTest, LoadsTheBundledFastTextPlugin) {
  auto lib = OpenOk(PluginLibDir() + "/fasttext.so");
  ASSERT_NE(lib, nullptr);
  EXPECT_EQ(lib->name(), "fasttext");
  EXPECT_EQ(lib->abi_version(), "1.1");
  EXPECT_FALSE(lib->version().empty());
}

TEST(PluginLibraryTest, LoadsAnSdkPlugin) {
  auto lib = OpenOk(TestPlugin("keyword"));
  ASSERT_NE(lib, nullptr);
  EXPECT_EQ(lib->name(), "keyword");
  EXPECT_EQ(lib->version(), "1.2.3");
  EXPECT_EQ(lib->api().capabilities & CLASSIFYD_CAP_EVIDENCE,
            CLASSIFYD_CAP_EVIDENCE);
}

TEST(PluginLibraryTest, RefusesAnotherAbiMajorAndSaysWhy) {
  const std::string error = OpenError(TestPlugin("bad_abi_major"));
  EXPECT_THAT(error, HasSubstr("plugin ABI 2.0"));
  EXPECT_THAT(error, HasSubstr("major version must match"));
}

TEST(PluginLibraryTest, RefusesANewerMinor) {
  EXPECT_THAT(OpenError(TestPlugin("bad_newer_minor")),
              HasSubstr("upgrade classifyd"));
}

TEST(PluginLibraryTest, SurvivesAnEntryPointThatThrows) {
  EXPECT_THAT(OpenError(TestPlugin("bad_entry_throws")),
              HasSubstr("entry point exploded"));
}

TEST(PluginLibraryTest, RefusesALibraryWithoutEntrySymbol) {
  EXPECT_THAT(OpenError(TestPlugin("bad_no_entry")),
              HasSubstr("does not export 'classifyd_plugin_entry'"));
}

TEST(PluginLibraryTest, ReportsMissingAndNonLibraryFiles) {
  EXPECT_THAT(OpenError("/nonexistent/x.so"), HasSubstr("cannot load"));
  testing::TempDir dir;
  EXPECT_THAT(OpenError(dir.WriteFile("junk.so", "not an ELF file")),
              HasSubstr("cannot load"));
  EXPECT_THAT(OpenError("/nonexistent/x.so", dir.path()),
              HasSubstr("cannot read"));
}

TEST(PluginLibraryTest, CheckPluginApiRejectsIncompleteTables) {
  EXPECT_THAT(CheckPluginApi(nullptr, "p").message(),
              HasSubstr("no function table"));
  classifyd_plugin_api api{};
  api.struct_size = sizeof(api);
  api.abi_major = CLASSIFYD_ABI_MAJOR;
  api.name = "x";
  api.version = "1";
  EXPECT_THAT(CheckPluginApi(&api, "p").message(),
              HasSubstr("required function"));
  api.struct_size = 8;
  EXPECT_THAT(CheckPluginApi(&api, "p").message(), HasSubstr("smaller"));
}

TEST(PluginLibraryTest, PrivateCopiesLoadTheCodeOnDiskNowAndLeaveNoFiles) {
  testing::TempDir dir;
  testing::TempDir private_dir;
  const std::string path = dir.path() + "/plugin.so";
  std::filesystem::copy_file(TestPlugin("keyword"), path);
  auto first = OpenOk(path, private_dir.path());
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->name(), "keyword");

  // Replace the file (rename over it) with a different plugin while the
  // first is loaded: dlopen() of the same path would return the old code.
  std::filesystem::copy_file(TestPlugin("bad_create_fails"),
                             dir.path() + "/next.so");
  std::filesystem::rename(dir.path() + "/next.so", path);
  auto second = OpenOk(path, private_dir.path());
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->name(), "create-fails");
  EXPECT_EQ(first->name(), "keyword");
  EXPECT_EQ(first->path(), path);
  EXPECT_TRUE(std::filesystem::is_empty(private_dir.path()));
}

TEST(ClassifierTest, CreatesAndClassifiesWithTheKeywordPlugin) {
  auto lib = OpenOk(TestPlugin("keyword"));
  ASSERT_NE(lib, nullptr);
  auto created = Classifier::Create(
      ManifestFor(lib->path(), "", {{"rules", "地震=disaster;股=finance"}}),
      lib, 7);
  ASSERT_TRUE(created.ok()) << std::string(created.status().message());
  auto& c = created.value();
  EXPECT_EQ(c->generation(), 7u);
  EXPECT_THAT(c->labels(), ::testing::ElementsAre("disaster", "finance"));

  std::vector<DocumentOutcome> out;
  std::string_view texts[] = {"四川地震", "A股大涨", "天气晴", "FAIL here"};
  c->ClassifyBatch(texts, 5, 0.0f, &out);
  ASSERT_EQ(out.size(), 4u);
  ASSERT_EQ(out[0].labels.size(), 1u);
  EXPECT_EQ(out[0].labels[0].name, "disaster");
  EXPECT_FLOAT_EQ(out[0].labels[0].score, 0.9f);
  EXPECT_EQ(out[0].labels[0].evidence, std::vector<std::string>{"地震"});
  EXPECT_EQ(out[1].labels[0].name, "finance");
  EXPECT_THAT(out[2].labels, IsEmpty());
  EXPECT_EQ(out[2].code, CLASSIFYD_OK);
  EXPECT_EQ(out[3].code, CLASSIFYD_INVALID_ARGUMENT);
  EXPECT_THAT(out[3].message, HasSubstr("fail marker"));
}

TEST(ClassifierTest, AFailedBatchFailsEveryDocumentWithTheReason) {
  auto lib = OpenOk(TestPlugin("keyword"));
  ASSERT_NE(lib, nullptr);
  auto created =
      Classifier::Create(ManifestFor(lib->path(), "", {{"rules", "a=b"}}), lib, 1);
  auto& c = created.value();
  std::vector<DocumentOutcome> out;
  std::string_view failing[] = {"fine", "FAILALL"};
  c->ClassifyBatch(failing, 5, 0.0f, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].code, CLASSIFYD_UNAVAILABLE);
  EXPECT_THAT(out[0].message, HasSubstr("asked to fail the batch"));

  // An exception inside the plugin is caught by the SDK's barrier.
  std::string_view throwing[] = {"THROW"};
  c->ClassifyBatch(throwing, 5, 0.0f, &out);
  EXPECT_EQ(out[0].code, CLASSIFYD_INTERNAL);
  EXPECT_THAT(out[0].message, HasSubstr("asked to throw"));
}

TEST(PluginAbiTest, LoadsAndRunsAPluginBuiltAgainstAbi10) {
  auto lib = OpenOk(TestPlugin("abi_1_0"));
  ASSERT_NE(lib, nullptr);
  EXPECT_EQ(lib->abi_version(), "1.0");
  auto created = Classifier::Create(ManifestFor(lib->path(), "", {}), lib, 1);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_THAT((*created)->labels(), ::testing::ElementsAre("old"));
  std::vector<DocumentOutcome> out;
  std::string_view texts[] = {"a document"};
  (*created)->ClassifyBatch(texts, 0, 0.0f, &out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].code, CLASSIFYD_OK) << out[0].message;
  ASSERT_EQ(out[0].labels.size(), 1u);
  EXPECT_EQ(out[0].labels[0].name, "old");
  EXPECT_THAT(out[0].labels[0].evidence, ::testing::ElementsAre("1.0"));
}

TEST(PluginAbiTest, RefusesAPluginWithAnUnknownCapabilityBit) {
  EXPECT_THAT(OpenError(TestPlugin("bad_capabilities")),
              HasSubstr("capability bits this classifyd does not know"));
}

TEST(PluginAbiTest, ShowsListLabelsErrorMessageInTheLoadError) {
  auto lib = OpenOk(TestPlugin("abi_1_1_rules"));
  ASSERT_NE(lib, nullptr);
  auto created = Classifier::Create(
      ManifestFor(lib->path(), "", {{"break", "list_labels"}}), lib, 1);
  ASSERT_FALSE(created.ok());
  EXPECT_THAT(std::string(created.status().message()),
              HasSubstr("could not list its labels: label table not built "
                        "(on purpose)"));
}

TEST(PluginAbiTest, EvidenceWithoutTheCapabilityFailsTheDocument) {
  auto lib = OpenOk(TestPlugin("abi_1_1_rules"));
  ASSERT_NE(lib, nullptr);
  for (const bool with_evidence : {false, true}) {
    auto created = Classifier::Create(
        ManifestFor(lib->path(), "",
                    {{"break", with_evidence ? "evidence" : "none"}}),
        lib, 1);
    ASSERT_TRUE(created.ok()) << created.status();
    std::vector<DocumentOutcome> out;
    std::string_view texts[] = {"one", "two"};
    (*created)->ClassifyBatch(texts, 0, 0.0f, &out);
    ASSERT_EQ(out.size(), 2u);
    for (const DocumentOutcome& o : out) {
      if (with_evidence) {
        EXPECT_EQ(o.code, CLASSIFYD_INTERNAL);
        EXPECT_THAT(o.message, HasSubstr("does not declare "
                                         "CLASSIFYD_CAP_EVIDENCE"));
        EXPECT_TRUE(o.labels.empty());
      } else {
        EXPECT_EQ(o.code, CLASSIFYD_OK) << o.message;
        EXPECT_EQ(o.labels.size(), 1u);
      }
    }
  }
}

TEST(ClassifierTest, ReportsCreateFailuresWithThePluginsMessage) {
  auto lib = OpenOk(TestPlugin("bad_create_fails"));
  ASSERT_NE(lib, nullptr);
  auto created = Classifier::Create(ManifestFor(lib->path(), "", {}), lib, 1);
  ASSERT_TRUE(!created.ok());
  EXPECT_THAT(std::string(created.status().message()),
              HasSubstr("model checksum mismatch"));

  auto keyword = OpenOk(TestPlugin("keyword"));
  auto bad_option = Classifier::Create(
      ManifestFor(keyword->path(), "", {{"score", "high"}}), keyword, 1);
  ASSERT_TRUE(!bad_option.ok());
  EXPECT_THAT(std::string(bad_option.status().message()),
              HasSubstr("option 'score' must be a number"));
}

TEST(ClassifierTest, FastTextPluginClassifiesWithTheBundledModel) {
  auto lib = OpenOk(PluginLibDir() + "/fasttext.so");
  ASSERT_NE(lib, nullptr);
  auto created = Classifier::Create(
      ManifestFor(lib->path(), testing::BundledModelPath(), {{"top_k", "3"}}),
      lib, 1);
  ASSERT_TRUE(created.ok()) << std::string(created.status().message());
  auto& c = created.value();
  EXPECT_THAT(c->labels(), ::testing::Contains("finance"));
  EXPECT_THAT(c->labels(), ::testing::Contains("sports"));

  std::vector<DocumentOutcome> out;
  std::string_view texts[] = {"所有A股投资者下周统一降费", "!!!"};
  c->ClassifyBatch(texts, 3, 0.0f, &out);
  ASSERT_EQ(out.size(), 2u);
  ASSERT_FALSE(out[0].labels.empty());
  EXPECT_LE(out[0].labels.size(), 3u);
  float total = 0;
  for (const PluginLabel& l : out[0].labels) {
    EXPECT_GT(l.score, 0.0f);
    EXPECT_LE(l.score, 1.0f);
    total += l.score;
  }
  EXPECT_LE(total, 3.0f);
  EXPECT_EQ(out[0].labels[0].name, "finance");
  EXPECT_TRUE(out[1].labels.empty());  // No tokens, no labels, no error.
  EXPECT_EQ(out[1].code, CLASSIFYD_OK);
}

// A word or two the model never learnt from gives its scores nothing to
// go on: with min_known_words it says nothing rather than a confident
// guess, and a real headline is classified as before.
TEST(ClassifierTest, FastTextPluginSaysNothingWhenItKnowsTooFewWords) {
  auto lib = OpenOk(PluginLibDir() + "/fasttext.so");
  ASSERT_NE(lib, nullptr);
  const std::string english =
      testing::SourceDir() + "/models/news-topics-en/model.ftz";
  std::string_view texts[] = {"x", "zzqx vvbk", "the",
                              "Stocks fall as Fed raises interest rates"};
  std::vector<DocumentOutcome> guarded;
  std::vector<DocumentOutcome> unguarded;
  // Outcomes name their labels by the classifier's copies: kept alive.
  std::vector<std::unique_ptr<Classifier>> classifiers;
  for (auto [option, out] :
       {std::pair{"2", &guarded}, std::pair{"0", &unguarded}}) {
    auto created = Classifier::Create(
        ManifestFor(lib->path(), english, {{"min_known_words", option}}), lib,
        1);
    ASSERT_TRUE(created.ok()) << std::string(created.status().message());
    classifiers.push_back(*std::move(created));
    classifiers.back()->ClassifyBatch(texts, 3, 0.0f, out);
    ASSERT_EQ(out->size(), 4u);
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(guarded[i].labels.empty()) << texts[i];
    EXPECT_EQ(guarded[i].code, CLASSIFYD_OK) << texts[i];
    EXPECT_FALSE(unguarded[i].labels.empty()) << texts[i];
  }
  ASSERT_FALSE(guarded[3].labels.empty());
  EXPECT_EQ(guarded[3].labels[0].name, "finance");

  for (const char* bad : {"-1", "1.5", "many"}) {
    EXPECT_FALSE(Classifier::Create(ManifestFor(lib->path(), english,
                                                {{"min_known_words", bad}}),
                                    lib, 1)
                     .ok())
        << bad;
  }
}

TEST(ClassifierTest, FastTextPluginRejectsMissingAndCorruptModels) {
  auto lib = OpenOk(PluginLibDir() + "/fasttext.so");
  ASSERT_NE(lib, nullptr);
  testing::TempDir dir;
  std::ifstream in(testing::BundledModelPath(), std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  const std::string bundled = bytes.str();
  std::string no_buckets = bundled;
  std::memset(no_buckets.data() + 40, 0, 4);  // Args::bucket
  struct Case {
    std::string model;
    std::string expected;
  } cases[] = {
      {"", "needs `model"},
      {dir.path() + "/missing.ftz", "cannot open"},
      {dir.WriteFile("tiny.ftz", "abc"), "too small"},
      {dir.WriteFile("text.ftz", std::string(200, 'x')), "bad magic"},
      // fastText would read the cut word forever, growing it until the
      // daemon runs out of memory.
      {dir.WriteFile("cut.ftz", bundled.substr(0, 1000)), "truncated"},
      // fastText would divide by zero (SIGFPE) hashing word n-grams.
      {dir.WriteFile("no_buckets.ftz", no_buckets), "no hash buckets"},
  };
  for (const Case& c : cases) {
    auto created =
        Classifier::Create(ManifestFor(lib->path(), c.model, {}), lib, 1);
    ASSERT_TRUE(!created.ok()) << c.model;
    EXPECT_THAT(std::string(created.status().message()), HasSubstr(c.expected));
  }
  auto bad_option = Classifier::Create(
      ManifestFor(lib->path(), testing::BundledModelPath(), {{"top_k", "0"}}),
      lib, 1);
  ASSERT_TRUE(!bad_option.ok());
  EXPECT_THAT(std::string(bad_option.status().message()), HasSubstr("top_k"));
}

}  // namespace
}  // namespace classifyd
