// The rules a plugin's results must obey (daemon/plugin/result_check.h),
// each at and just over its limit.
#include "plugin/result_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace classifyd {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

classifyd_string S(const std::string& s) { return {s.data(), s.size()}; }

class CheckLabelTest : public ::testing::Test {
 protected:
  CheckLabelTest() {
    EXPECT_THAT(declared_.Add("ok", 2), IsEmpty());
    EXPECT_THAT(declared_.Add("灾害", 6), IsEmpty());
  }

  // CheckLabel for `label` with `evidence` against this test's tally.
  std::string Check(const std::string& label, float score,
                    const std::vector<std::string>& evidence = {}) {
    std::vector<classifyd_string> e;
    for (const std::string& s : evidence) e.push_back(S(s));
    return CheckLabel(label.data(), label.size(), score,
                      e.empty() ? nullptr : e.data(), e.size(), declared_,
                      &tally_, &name_);
  }

  DeclaredLabels declared_;
  DocumentTally tally_;
  std::string_view name_;  // What the last accepted label was interned as.
};

TEST(Utf8ProblemTest, AcceptsWellFormedText) {
  EXPECT_THAT(Utf8Problem(""), IsEmpty());
  EXPECT_THAT(Utf8Problem("plain ascii"), IsEmpty());
  EXPECT_THAT(Utf8Problem("中央气象台 “苏拉”"), IsEmpty());
  EXPECT_THAT(Utf8Problem("\xf0\x9f\x98\x80"), IsEmpty());  // U+1F600
  EXPECT_THAT(Utf8Problem("\xf4\x8f\xbf\xbf"), IsEmpty());  // U+10FFFF
  EXPECT_THAT(Utf8Problem(std::string("a\0b", 3)), IsEmpty());
}

TEST(Utf8ProblemTest, RefusesWhatProtobufRefusesAndSaysWhere) {
  EXPECT_EQ(Utf8Problem("ab\xff"), "bad byte sequence at offset 2");
  EXPECT_EQ(Utf8Problem("\x80"), "bad byte sequence at offset 0");  // Lone.
  EXPECT_EQ(Utf8Problem("x\xe4\xb8"), "bad byte sequence at offset 1");  // Cut.
  EXPECT_EQ(Utf8Problem("\xc0\xaf"),
            "bad byte sequence at offset 0");  // Overlong.
  EXPECT_EQ(Utf8Problem("\xe0\x80\xaf"), "bad byte sequence at offset 0");
  EXPECT_EQ(Utf8Problem("\xed\xa0\x80"),
            "bad byte sequence at offset 0");  // Surrogate.
  EXPECT_EQ(Utf8Problem("\xf4\x90\x80\x80"),
            "bad byte sequence at offset 0");  // > U+10FFFF.
  EXPECT_EQ(Utf8Problem("\xe4\xb8\x41"), "bad byte sequence at offset 0");
}

TEST(DeclaredLabelsTest, KeepsEachLabelOnceInOrder) {
  DeclaredLabels labels;
  EXPECT_THAT(labels.Add("b", 1), IsEmpty());
  EXPECT_THAT(labels.Add("a", 1), IsEmpty());
  EXPECT_THAT(labels.Add("b", 1), IsEmpty());
  EXPECT_THAT(labels.names(), ::testing::ElementsAre("b", "a"));
  EXPECT_TRUE(labels.Contains("a"));
  EXPECT_FALSE(labels.Contains("c"));
}

TEST(DeclaredLabelsTest, RefusesLabelsThatCouldNotBeSent) {
  DeclaredLabels labels;
  EXPECT_EQ(labels.Add(nullptr, 0), "an empty label");
  EXPECT_EQ(labels.Add(nullptr, 3), "a label with a null pointer");
  EXPECT_THAT(labels.Add("\xff", 1), HasSubstr("not valid UTF-8"));
  const std::string longest(kMaxLabelBytes, 'a');
  EXPECT_THAT(labels.Add(longest.data(), longest.size()), IsEmpty());
  const std::string too_long(kMaxLabelBytes + 1, 'a');
  EXPECT_EQ(labels.Add(too_long.data(), too_long.size()),
            "a label of 65 bytes (at most 64)");
  EXPECT_THAT(labels.names(), ::testing::ElementsAre(longest));
}

TEST(DeclaredLabelsTest, RefusesMoreThanTheLimit) {
  DeclaredLabels labels;
  for (size_t i = 0; i < kMaxDeclaredLabels; ++i) {
    std::string name = "l";  // Not "l" + ...: GCC 12 -Wrestrict misfires.
    name += std::to_string(i);
    ASSERT_THAT(labels.Add(name.data(), name.size()), IsEmpty());
  }
  EXPECT_THAT(labels.Add("l0", 2), IsEmpty());  // Already there.
  EXPECT_EQ(labels.Add("one more", 8), "more than 4096 labels");
}

TEST_F(CheckLabelTest, AcceptsAGoodLabelAndCountsIt) {
  EXPECT_THAT(Check("ok", 0.5f, {"地震", "fine"}), IsEmpty());
  EXPECT_THAT(Check("灾害", 0.0f), IsEmpty());
  EXPECT_THAT(Check("ok", 1.0f), IsEmpty());
  EXPECT_EQ(tally_.labels, 3u);
  EXPECT_EQ(tally_.evidence_bytes, 10u);
}

TEST_F(CheckLabelTest, AnAcceptedLabelIsTheDeclaredCopyOfItsName) {
  const std::string label = "灾害";  // The plugin's own buffer.
  ASSERT_THAT(Check(label, 0.5f), IsEmpty());
  EXPECT_EQ(name_, "灾害");
  EXPECT_EQ(name_.data(), declared_.Find("灾害")->data());
  EXPECT_EQ(declared_.Find("none"), nullptr);
}

TEST_F(CheckLabelTest, RefusesBadNames) {
  EXPECT_EQ(Check("", 0.5f), "an empty label");
  EXPECT_EQ(
      CheckLabel(nullptr, 2, 0.5f, nullptr, 0, declared_, &tally_, &name_),
      "a label with a null pointer");
  EXPECT_EQ(Check("\xff\xfe", 0.5f),
            "a label that is not valid UTF-8 (bad byte sequence at offset 0)");
  EXPECT_EQ(Check(std::string(65, 'a'), 0.5f),
            "a label of 65 bytes (at most 64)");
  EXPECT_EQ(Check("fraud", 0.5f),
            "label 'fraud', which it did not declare (list_labels() must "
            "report every label an instance can emit)");
  EXPECT_EQ(tally_.labels, 0u);
}

TEST_F(CheckLabelTest, RefusesScoresOutsideZeroToOne) {
  EXPECT_EQ(Check("ok", 7.0f),
            "a score of 7 for label 'ok' (scores must be in [0, 1])");
  EXPECT_THAT(Check("ok", std::nanf("")), HasSubstr("a score of nan"));
  EXPECT_THAT(Check("ok", std::numeric_limits<float>::infinity()),
              HasSubstr("a score of inf"));
  EXPECT_THAT(Check("ok", -0.01f), HasSubstr("a score of -0.01"));
  EXPECT_THAT(Check("ok", std::nextafter(1.0f, 2.0f)),
              HasSubstr("scores must be in [0, 1]"));
  EXPECT_EQ(tally_.labels, 0u);
}

TEST_F(CheckLabelTest, BoundsEvidence) {
  EXPECT_THAT(Check("ok", 0.5f, std::vector<std::string>(128, "e")), IsEmpty());
  EXPECT_EQ(Check("ok", 0.5f, std::vector<std::string>(129, "e")),
            "129 evidence strings for label 'ok' (at most 128)");
  EXPECT_THAT(Check("ok", 0.5f, {std::string(1024, 'e')}), IsEmpty());
  EXPECT_EQ(Check("ok", 0.5f, {std::string(1025, 'e')}),
            "an evidence string of 1025 bytes for label 'ok' (at most 1024)");
  EXPECT_EQ(Check("ok", 0.5f, {"fine", "\xe4\xb8"}),
            "an evidence string that is not valid UTF-8 for label 'ok' (bad "
            "byte sequence at offset 0)");
  EXPECT_EQ(CheckLabel("ok", 2, 0.5f, nullptr, 3, declared_, &tally_, &name_),
            "a null evidence list of 3 strings for label 'ok'");
  const classifyd_string null_item{nullptr, 5};
  EXPECT_EQ(
      CheckLabel("ok", 2, 0.5f, &null_item, 1, declared_, &tally_, &name_),
      "an evidence string with a null pointer for label 'ok'");
}

TEST_F(CheckLabelTest, BoundsTheEvidenceOfOneDocument) {
  // 1,152 bytes so far; 56 more labels of 1 KiB reach 64 KiB, then no more.
  ASSERT_THAT(Check("ok", 0.5f, std::vector<std::string>(128, "abcdefghi")),
              IsEmpty());
  const std::string kib(1024, 'e');
  for (int i = 0; i < 62; ++i) ASSERT_THAT(Check("ok", 0.5f, {kib}), IsEmpty());
  EXPECT_EQ(tally_.evidence_bytes, 1152u + 62 * 1024);
  EXPECT_EQ(Check("ok", 0.5f, {kib}),
            "more than 65536 bytes of evidence for one document");
  EXPECT_THAT(Check("ok", 0.5f), IsEmpty());  // Without evidence it fits.
}

TEST_F(CheckLabelTest, BoundsTheLabelsOfOneDocument) {
  for (size_t i = 0; i < kMaxLabelsPerDocument; ++i) {
    ASSERT_THAT(Check("ok", 0.5f), IsEmpty());
  }
  EXPECT_EQ(Check("ok", 0.5f), "more than 256 labels for one document");
}

TEST(CheckMessageTest, KeepsAGoodMessage) {
  const std::string m = "模型文件损坏 (model file damaged)";
  PluginMessage checked = CheckMessage(m.data(), m.size());
  EXPECT_EQ(checked.text, m);
  EXPECT_THAT(checked.problem, IsEmpty());
  checked = CheckMessage(nullptr, 0);
  EXPECT_THAT(checked.text, IsEmpty());
  EXPECT_THAT(checked.problem, IsEmpty());
}

TEST(CheckMessageTest, RefusesAMessageThatIsNotUtf8) {
  PluginMessage checked = CheckMessage("bad \xc3\x28", 6);
  EXPECT_EQ(checked.problem,
            "an error message that is not valid UTF-8 (bad byte sequence at "
            "offset 4)");
  EXPECT_THAT(checked.text, IsEmpty());
  EXPECT_EQ(CheckMessage(nullptr, 4).problem,
            "an error message with a null pointer");
}

TEST(CheckMessageTest, CutsALongMessageAtACharacterBoundary) {
  // 1,023 bytes of ASCII, then a 3-byte character that straddles 1 KiB.
  std::string long_message(kMaxMessageBytes - 1, 'a');
  long_message += "中";
  long_message += std::string(80'000'000, 'b');  // Never read.
  long_message[long_message.size() - 1] = '\xff';
  PluginMessage checked =
      CheckMessage(long_message.data(), long_message.size());
  EXPECT_THAT(checked.problem, IsEmpty());
  EXPECT_EQ(checked.text, std::string(kMaxMessageBytes - 1, 'a') +
                              "… (cut from 80001026 bytes)");

  std::string exact(kMaxMessageBytes, 'a');
  EXPECT_EQ(CheckMessage(exact.data(), exact.size()).text, exact);
}

TEST(StatusProblemTest, AcceptsOnlyGrpcErrorCodes) {
  EXPECT_THAT(StatusProblem(CLASSIFYD_CANCELLED), IsEmpty());
  EXPECT_THAT(StatusProblem(CLASSIFYD_UNAUTHENTICATED), IsEmpty());
  EXPECT_EQ(StatusProblem(99),
            "status code 99, which is not a gRPC status code");
  EXPECT_EQ(StatusProblem(-1),
            "status code -1, which is not a gRPC status code");
  EXPECT_THAT(StatusProblem(CLASSIFYD_OK), HasSubstr("status code 0"));
}

}  // namespace
}  // namespace classifyd
