// What an in-process plugin returns is checked before it reaches a response
// (daemon/plugin/result_check.h), against the real daemon with the
// purpose-built bad_output plugin: a label or message that is not UTF-8,
// 80 MB of evidence, a NaN score, a score of 7, a label it never declared,
// too many labels. Each fails that classifier's part of that document with
// INTERNAL and a message that says what was wrong; the call, the other
// classifiers' labels and every other document on a stream are answered.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "testing/classify_call.h"
#include "testing/daemon_process.h"
#include "testing/eventually.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using testing::DaemonProcess;
using ::testing::HasSubstr;
using testing::KeywordManifest;

using testing::kPatience;

std::string BadOutputManifest(const std::string& options = "") {
  return "plugin = \"" + testing::TestPluginDir() +
         "/bad_output.so\"\n[options]\n" + options + "\n";
}

// One misbehaviour of the plugin: the marker that triggers it, and part of
// the message the client gets for it.
struct BadResult {
  const char* marker;
  const char* message;
};

const BadResult kBadResults[] = {
    {"BAD_LABEL_UTF8",
     "classifier 'bad' returned a label that is not valid UTF-8"},
    {"BAD_MESSAGE_UTF8", "an error message that is not valid UTF-8"},
    {"HUGE_EVIDENCE", "an evidence string of 80000000 bytes"},
    {"NAN_SCORE", "a score of nan"},
    {"SCORE_SEVEN", "a score of 7"},
    {"UNDECLARED_LABEL", "label 'undeclared', which it did not declare"},
    {"MANY_LABELS", "more than 256 labels"},
};

class PluginOutputTest : public ::testing::Test {
 protected:
  void Start(const std::string& bad_options = "") {
    plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
    plugins_.WriteFile("bad.toml", BadOutputManifest(bad_options));
    daemon_ = DaemonProcess::Start(plugins_.path());
    ASSERT_NE(daemon_, nullptr);
    stub_ = v1::Classifier::NewStub(daemon_->NewChannel());
  }

  grpc::Status Classify(const std::string& text, v1::ClassifyResponse* response,
                        const std::vector<std::string>& plugins = {}) {
    return testing::ClassifyText(*stub_, text, response, plugins, kPatience);
  }

  static const v1::ClassifierRun* Run(const v1::ClassifyResponse& response,
                                      const std::string& name) {
    for (const auto& run : response.classifiers()) {
      if (run.name() == name) return &run;
    }
    return nullptr;
  }

  // "name/plugin" of every label, in response order.
  static std::vector<std::string> Labels(const v1::ClassifyResponse& r) {
    std::vector<std::string> labels;
    for (const auto& label : r.labels()) {
      labels.push_back(label.name() + "/" + label.plugin());
    }
    std::sort(labels.begin(), labels.end());
    return labels;
  }

  testing::TempDir plugins_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::Classifier::Stub> stub_;
};

using Strings = std::vector<std::string>;

TEST_F(PluginOutputTest, ABadResultFailsOnlyThatClassifierForThatDocument) {
  ASSERT_NO_FATAL_FAILURE(Start());
  for (const BadResult& bad : kBadResults) {
    SCOPED_TRACE(bad.marker);
    v1::ClassifyResponse response;
    grpc::Status status = Classify(std::string("x ") + bad.marker, &response);
    ASSERT_TRUE(status.ok())
        << status.error_code() << " " << status.error_message();
    EXPECT_EQ(response.error().code(), 0);
    EXPECT_EQ(Labels(response), Strings{"ex/rules"});
    const v1::ClassifierRun* run = Run(response, "bad");
    ASSERT_NE(run, nullptr);
    EXPECT_EQ(run->status().code(), grpc::StatusCode::INTERNAL);
    EXPECT_THAT(run->status().message(), HasSubstr(bad.message));
    EXPECT_EQ(Run(response, "rules")->status().code(), 0);

    // Asked of the bad classifier alone, the call fails with that error.
    status = Classify(std::string("x ") + bad.marker, &response, {"bad"});
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
    EXPECT_THAT(status.error_message(), HasSubstr(bad.message));
  }
  // A document without a marker gets both classifiers' labels.
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify("x", &response).ok());
  EXPECT_EQ(Labels(response), (Strings{"ex/rules", "ok/bad"}));
  EXPECT_EQ(kill(daemon_->pid(), 0), 0);
}

TEST_F(PluginOutputTest, ABatchFailedWithABadMessageGetsAClearError) {
  ASSERT_NO_FATAL_FAILURE(Start());
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify("x BAD_CALL_MESSAGE", &response).ok());
  EXPECT_EQ(Labels(response), Strings{"ex/rules"});
  const v1::ClassifierRun* run = Run(response, "bad");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->status().code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(run->status().message(),
              HasSubstr("an error message that is not valid UTF-8"));
}

TEST_F(PluginOutputTest, AStreamCarryingBadResultsAnswersEveryOtherDocument) {
  ASSERT_NO_FATAL_FAILURE(Start());
  // Every fifth document carries a marker, cycling through them, so bad and
  // good documents share the plugin's batches.
  constexpr size_t kDocs = 200;
  auto marker = [](size_t i) -> const BadResult* {
    constexpr size_t kCount = std::size(kBadResults);
    return i % 5 == 3 ? &kBadResults[(i / 5) % kCount] : nullptr;
  };
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kPatience);
  auto stream = stub_->ClassifyStream(&context);
  std::thread writer([&] {
    for (size_t i = 0; i < kDocs; ++i) {
      v1::ClassifyRequest request;
      request.set_id(std::to_string(i));
      const BadResult* bad = marker(i);
      request.set_text(bad != nullptr ? std::string("x ") + bad->marker : "x");
      if (!stream->Write(request)) break;
    }
    stream->WritesDone();
  });
  std::vector<v1::ClassifyResponse> responses;
  v1::ClassifyResponse response;
  while (stream->Read(&response)) responses.push_back(response);
  writer.join();
  const grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_code() << " "
                           << status.error_message();
  ASSERT_EQ(responses.size(), kDocs);
  for (size_t i = 0; i < kDocs; ++i) {
    const v1::ClassifyResponse& r = responses[i];
    SCOPED_TRACE("document " + std::to_string(i));
    ASSERT_EQ(r.id(), std::to_string(i));
    EXPECT_EQ(r.error().code(), 0);
    const v1::ClassifierRun* run = Run(r, "bad");
    ASSERT_NE(run, nullptr);
    if (const BadResult* bad = marker(i)) {
      EXPECT_EQ(Labels(r), Strings{"ex/rules"});
      EXPECT_EQ(run->status().code(), grpc::StatusCode::INTERNAL);
      EXPECT_THAT(run->status().message(), HasSubstr(bad->message));
    } else {
      EXPECT_EQ(Labels(r), (Strings{"ex/rules", "ok/bad"}));
      EXPECT_EQ(run->status().code(), 0);
    }
  }
}

TEST_F(PluginOutputTest, AClassifierThatDeclaresABadLabelIsNotLoaded) {
  ASSERT_NO_FATAL_FAILURE(Start("bad_declared_label = true"));
  v1::ListPluginsResponse list;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->ListPlugins(&context, {}, &list).ok());
  bool found = false;
  for (const auto& p : list.plugins()) {
    if (p.name() != "bad") continue;
    found = true;
    EXPECT_EQ(p.state(), v1::PluginInfo::FAILED);
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(
      daemon_->WaitForLog("listed a label that is not valid UTF-8", kPatience))
      << daemon_->Log();
  // The other classifier serves.
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify("x", &response).ok());
  EXPECT_EQ(Labels(response), Strings{"ex/rules"});
}

}  // namespace
}  // namespace classifyd
