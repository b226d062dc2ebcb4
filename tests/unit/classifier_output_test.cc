// Contract suite: Classifier checks what the purpose-built bad_output plugin
// hands its sinks (daemon/plugin/result_check.h). A bad result fails its
// own document only, and no later call for that document can undo it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "plugin/classifier.h"
#include "plugin/plugin_library.h"
#include "testing/daemon_process.h"
#include "testing/failure_of.h"

namespace classifyd {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::shared_ptr<PluginLibrary> BadOutputLibrary() {
  auto r = PluginLibrary::Open(testing::TestPluginDir() + "/bad_output.so", "");
  if (const std::optional<std::string> e = testing::FailureOf(r)) {
    ADD_FAILURE() << *e;
    return nullptr;
  }
  return r.value();
}

absl::StatusOr<std::unique_ptr<Classifier>> Create(
    std::vector<std::pair<std::string, std::string>> options = {}) {
  auto library = BadOutputLibrary();
  if (library == nullptr) return absl::NotFoundError("no library");
  Manifest m;
  m.name = "bad";
  m.manifest_path = "/bad.toml";
  m.library_path = library->path();
  m.options = std::move(options);
  return Classifier::Create(m, library, 1);
}

TEST(ClassifierOutputTest, ABadResultFailsItsDocumentAndNoOther) {
  auto created = Create();
  ASSERT_TRUE(created.ok()) << std::string(created.status().message());
  const Classifier& c = *created.value();
  EXPECT_THAT(c.labels(), ::testing::ElementsAre("ok"));

  std::string_view texts[] = {"a",
                              "BAD_LABEL_UTF8",
                              "b",
                              "BAD_MESSAGE_UTF8",
                              "HUGE_EVIDENCE",
                              "NAN_SCORE",
                              "SCORE_SEVEN",
                              "UNDECLARED_LABEL",
                              "MANY_LABELS",
                              "c"};
  std::vector<DocumentOutcome> out;
  c.ClassifyBatch(texts, 5, 0.0f, &out);
  ASSERT_EQ(out.size(), std::size(texts));
  for (size_t i : {0, 2, 9}) {
    SCOPED_TRACE(texts[i]);
    EXPECT_EQ(out[i].code, CLASSIFYD_OK);
    ASSERT_EQ(out[i].labels.size(), 1u);
    EXPECT_EQ(out[i].labels[0].name, "ok");
    EXPECT_FLOAT_EQ(out[i].labels[0].score, 0.8f);
    EXPECT_EQ(out[i].labels[0].evidence, std::vector<std::string>{"fine"});
  }
  const std::pair<size_t, std::string> expected[] = {
      {1,
       "classifier 'bad' returned a label that is not valid UTF-8 (bad byte "
       "sequence at offset 0)"},
      {3,
       "classifier 'bad' returned an error message that is not valid UTF-8 "
       "(bad byte sequence at offset 4)"},
      {4,
       "classifier 'bad' returned an evidence string of 80000000 bytes for "
       "label 'ok' (at most 1024)"},
      {5, "classifier 'bad' returned a score of nan for label 'ok'"},
      {6, "classifier 'bad' returned a score of 7 for label 'ok'"},
      {7,
       "classifier 'bad' returned label 'undeclared', which it did not "
       "declare"},
      {8, "classifier 'bad' returned more than 256 labels for one document"},
  };
  for (const auto& [i, message] : expected) {
    SCOPED_TRACE(texts[i]);
    EXPECT_EQ(out[i].code, CLASSIFYD_INTERNAL);
    EXPECT_THAT(out[i].message, HasSubstr(message));
    EXPECT_THAT(out[i].labels, IsEmpty());
  }
}

TEST(ClassifierOutputTest, ABatchFailedWithABadMessageIsInternal) {
  auto created = Create();
  ASSERT_TRUE(created.ok());
  const Classifier& c = *created.value();
  std::string_view texts[] = {"a", "BAD_CALL_MESSAGE"};
  std::vector<DocumentOutcome> out;
  c.ClassifyBatch(texts, 5, 0.0f, &out);
  ASSERT_EQ(out.size(), 2u);
  for (const DocumentOutcome& o : out) {
    EXPECT_EQ(o.code, CLASSIFYD_INTERNAL);
    EXPECT_EQ(o.message,
              "classifier 'bad' failed and returned an error message that is "
              "not valid UTF-8 (bad byte sequence at offset 17)");
    EXPECT_THAT(o.labels, IsEmpty());
  }
}

TEST(ClassifierOutputTest, AClassifierThatListsABadLabelIsRefused) {
  auto created = Create({{"bad_declared_label", "true"}});
  ASSERT_TRUE(!created.ok());
  EXPECT_EQ(std::string(created.status().message()),
            "classifier 'bad' listed a label that is not valid UTF-8 (bad "
            "byte sequence at offset 0)");
}

}  // namespace
}  // namespace classifyd
