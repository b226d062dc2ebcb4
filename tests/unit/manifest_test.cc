#include "plugin/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/failure_of.h"

namespace classifyd {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

absl::StatusOr<Manifest> Parse(
    const std::string& text,
    const std::string& path = "/etc/cd/plugins.d/news.toml") {
  return ParseManifest(text, path, "/usr/lib/classifyd/plugins");
}

std::string ErrorOf(const absl::StatusOr<Manifest>& r) {
  const std::optional<std::string> e = testing::FailureOf(r);
  return e.has_value() ? *e : "<parsed fine>";
}

TEST(ManifestTest, ParsesAFullManifest) {
  auto r = Parse(R"(
plugin = "fasttext"
model = "../models/news/model.ftz"
weight = 0.5
[options]
top_k = 3
threshold = 0.25
label_prefix = "__label__"
lowercase = true
)");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  const Manifest& m = r.value();
  EXPECT_EQ(m.name, "news");
  EXPECT_EQ(m.manifest_path, "/etc/cd/plugins.d/news.toml");
  EXPECT_EQ(m.library_path, "/usr/lib/classifyd/plugins/fasttext.so");
  EXPECT_EQ(m.model_path, "/etc/cd/models/news/model.ftz");
  EXPECT_DOUBLE_EQ(m.weight, 0.5);
  EXPECT_THAT(m.options,
              UnorderedElementsAre(Pair("top_k", "3"),
                                   Pair("threshold", "0.25"),
                                   Pair("label_prefix", "__label__"),
                                   Pair("lowercase", "true")));
}

TEST(ManifestTest, ResolvesPluginPathsRelativeToTheManifest) {
  auto r = Parse("plugin = \"./lib/custom.so\"\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r.value().library_path, "/etc/cd/plugins.d/lib/custom.so");
  EXPECT_EQ(r.value().model_path, "");
  EXPECT_DOUBLE_EQ(r.value().weight, 1.0);
}

TEST(ManifestTest, RejectsUnknownKeysByName) {
  EXPECT_THAT(ErrorOf(Parse("plugin = \"x\"\nmodle = \"typo\"\n")),
              HasSubstr("unknown key 'modle'"));
}

TEST(ManifestTest, RequiresPlugin) {
  EXPECT_THAT(ErrorOf(Parse("model = \"m.bin\"\n")), HasSubstr("plugin"));
}

TEST(ManifestTest, ReportsTomlSyntaxErrorsWithLine) {
  EXPECT_THAT(ErrorOf(Parse("plugin = \"x\"\nweight = = 2\n")),
              HasSubstr("line 2"));
}

TEST(ManifestTest, ValidatesWeight) {
  EXPECT_THAT(ErrorOf(Parse("plugin = \"x\"\nweight = 0\n")),
              HasSubstr("weight"));
  EXPECT_THAT(ErrorOf(Parse("plugin = \"x\"\nweight = \"high\"\n")),
              HasSubstr("weight"));
  EXPECT_THAT(ErrorOf(Parse("plugin = \"x\"\nweight = 11\n")),
              HasSubstr("weight"));
}

TEST(ManifestTest, ReadsAndValidatesTimeout) {
  auto unset = Parse("plugin = \"x\"\n");
  EXPECT_EQ(unset.value().timeout_ms, -1);
  auto set = Parse("plugin = \"x\"\ntimeout_ms = 250\n");
  EXPECT_EQ(set.value().timeout_ms, 250);
  auto off = Parse("plugin = \"x\"\ntimeout_ms = 0\n");
  EXPECT_EQ(off.value().timeout_ms, 0);
  for (const char* bad : {"-1", "1.5", "\"1s\"", "3600001"}) {
    EXPECT_THAT(
        ErrorOf(Parse(std::string("plugin = \"x\"\ntimeout_ms = ") + bad)),
        HasSubstr("`timeout_ms` must be an integer"))
        << bad;
  }
}

TEST(ManifestTest, ReadsIsolationAndRefusesOtherValues) {
  auto unset = Parse("plugin = \"x\"\n");
  EXPECT_EQ(unset.value().isolation, Isolation::kInProcess);
  auto process = Parse("plugin = \"x\"\nisolation = \"process\"\n");
  EXPECT_EQ(process.value().isolation, Isolation::kProcess);
  auto in = Parse("plugin = \"x\"\nisolation = \"in-process\"\n");
  EXPECT_EQ(in.value().isolation, Isolation::kInProcess);
  for (const char* bad : {"\"Process\"", "\"container\"", "true", "1"}) {
    EXPECT_EQ(ErrorOf(Parse(std::string("plugin = \"x\"\nisolation = ") + bad)),
              "manifest '/etc/cd/plugins.d/news.toml': `isolation` must be "
              "\"in-process\" (the default) or \"process\"")
        << bad;
  }
}

TEST(ManifestTest, ResolvesTheCalibrationLikeTheModel) {
  auto r = Parse("plugin = \"x\"\ncalibration = \"../models/news/cal.tsv\"\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r.value().calibration_path, "/etc/cd/models/news/cal.tsv");
  r = Parse("plugin = \"x\"\ncalibration = \"/abs/cal.tsv\"\n");
  EXPECT_EQ(r.value().calibration_path, "/abs/cal.tsv");
  EXPECT_EQ(Parse("plugin = \"x\"\n").value().calibration_path, "");
  EXPECT_THAT(ErrorOf(Parse("plugin = \"x\"\ncalibration = \"\"\n")),
              HasSubstr("`calibration` must be a non-empty string path"));
  EXPECT_THAT(ErrorOf(Parse("plugin = \"x\"\ncalibration = 1\n")),
              HasSubstr("`calibration` must be a non-empty string path"));
}

TEST(ManifestTest, ReadsTheWarmUpDocumentInlineOrAsAFile) {
  auto inline_text = Parse("plugin = \"x\"\nwarmup = \"台风预警\"\n");
  ASSERT_TRUE(inline_text.ok())
      << ErrorOf(inline_text);
  EXPECT_EQ(inline_text.value().warmup_text, "台风预警");
  EXPECT_EQ(inline_text.value().warmup_path, "");

  auto file = Parse("plugin = \"x\"\nwarmup_file = \"../warm/doc.txt\"\n");
  ASSERT_TRUE(file.ok()) << ErrorOf(file);
  EXPECT_EQ(file.value().warmup_path, "/etc/cd/warm/doc.txt");

  auto neither = Parse("plugin = \"x\"\n");
  ASSERT_TRUE(neither.ok());
  EXPECT_EQ(neither.value().warmup_text, "");
  EXPECT_EQ(neither.value().warmup_path, "");
}

TEST(ManifestTest, RejectsBadWarmUpKeys) {
  EXPECT_THAT(ErrorOf(Parse("plugin = \"x\"\nwarmup = \"\"\n")),
              HasSubstr("`warmup` must be a non-empty string"));
  EXPECT_THAT(ErrorOf(Parse("plugin = \"x\"\nwarmup = 3\n")),
              HasSubstr("`warmup` must be a non-empty string"));
  EXPECT_THAT(ErrorOf(Parse("plugin = \"x\"\nwarmup_file = 3\n")),
              HasSubstr("`warmup_file` must be a non-empty string path"));
  EXPECT_THAT(ErrorOf(Parse("plugin = \"x\"\nwarmup = \"a\"\n"
                            "warmup_file = \"b.txt\"\n")),
              HasSubstr("set `warmup` or `warmup_file`, not both"));
}

TEST(ManifestTest, ReadsLanguagesAsPrimarySubtags) {
  auto r = Parse("plugin = \"x\"\nlanguages = [\"zh\", \"EN\", \"yue\"]\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_THAT(r.value().languages, ::testing::ElementsAre("zh", "en", "yue"));
  // Absent: every language.
  r = Parse("plugin = \"x\"\n");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_TRUE(r.value().languages.empty());
}

TEST(ManifestTest, RejectsBadLanguages) {
  const std::pair<const char*, const char*> bad[] = {
      {"languages = \"zh\"", "non-empty array of primary language subtags"},
      {"languages = []", "leave it out to cover every language"},
      {"languages = [1]", "non-empty array"},
      {"languages = [\"zh-Hant\"]", "'zh-Hant' is not a primary language"},
      {"languages = [\"chinese\"]", "'chinese' is not a primary language"},
      {"languages = [\"und\"]", "'und' is not a primary language"},
      {"languages = [\"zh\", \"ZH\"]", "lists 'zh' twice"},
  };
  for (const auto& [line, message] : bad) {
    EXPECT_THAT(ErrorOf(Parse(std::string("plugin = \"x\"\n") + line + "\n")),
                AllOf(HasSubstr("news.toml"), HasSubstr(message)))
        << line;
  }
}

TEST(ManifestTest, RejectsNonScalarOptions) {
  EXPECT_THAT(ErrorOf(Parse("plugin = \"x\"\n[options]\nlist = [1, 2]\n")),
              HasSubstr("option 'list'"));
}

TEST(ManifestTest, RejectsBadClassifierNames) {
  EXPECT_THAT(ErrorOf(Parse("plugin = \"x\"\n", "/d/bad name!.toml")),
              HasSubstr("file name"));
  EXPECT_TRUE(IsValidClassifierName("news-topics.v2_x"));
  EXPECT_FALSE(IsValidClassifierName(""));
  EXPECT_FALSE(IsValidClassifierName("-leading"));
  EXPECT_FALSE(IsValidClassifierName(std::string(65, 'a')));
}

TEST(ManifestTest, RejectsBarePluginNamesThatEscapeTheLibraryDir) {
  EXPECT_THAT(ErrorOf(Parse("plugin = \"..\"\n")), HasSubstr("not a valid"));
}

TEST(ManifestTest, ReportsUnreadableFile) {
  EXPECT_THAT(ErrorOf(LoadManifest("/nonexistent/x.toml", "/lib")),
              HasSubstr("cannot read manifest"));
}

TEST(ManifestTest, ModelSizeLimitDefaultsTo2GiBAndCanBeSet) {
  auto unset = Parse("plugin = \"x\"\n");
  EXPECT_EQ(unset.value().max_model_bytes, int64_t{2} << 30);
  auto set = Parse("plugin = \"x\"\nmax_model_bytes = 4096\n");
  ASSERT_TRUE(set.ok()) << ErrorOf(set);
  EXPECT_EQ(set.value().max_model_bytes, 4096);
  EXPECT_THAT(ErrorOf(Parse("plugin = \"x\"\nmax_model_bytes = 0\n")),
              HasSubstr("`max_model_bytes` must be a positive integer"));
  EXPECT_THAT(ErrorOf(Parse("plugin = \"x\"\nmax_model_bytes = \"1G\"\n")),
              HasSubstr("`max_model_bytes` must be a positive integer"));
}

TEST(ManifestTest, QuotesOnlyNamesThatCouldBeClassifiers) {
  EXPECT_EQ(QuotedClassifierName("news-topics"), "'news-topics'");
  EXPECT_EQ(QuotedClassifierName(std::string(20 << 10, 'n')),
            "(not a valid classifier name: 20480 bytes)");
  EXPECT_EQ(QuotedClassifierName("a\nb"),
            "(not a valid classifier name: 3 bytes)");
}

}  // namespace
}  // namespace classifyd
