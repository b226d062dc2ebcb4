// Settings against the real daemon: SIGHUP re-reads the config file
// (reloadable settings apply, others warn, a broken file is refused), and
// the default deadline for calls that set none.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::DaemonProcess;
using ::testing::HasSubstr;
using testing::TempDir;

constexpr char kRules[] = "地震=disaster;股=finance;台风=weather";
constexpr char kAllThree[] = "台风过后地震,股市大跌";

grpc::Status Classify(const DaemonProcess& daemon, const std::string& text,
                      v1::ClassifyResponse* response,
                      bool set_deadline = true) {
  auto stub = v1::Classifier::NewStub(daemon.NewChannel());
  grpc::ClientContext context;
  if (set_deadline) {
    context.set_deadline(std::chrono::system_clock::now() + seconds(60));
  }
  v1::ClassifyRequest request;
  request.set_id("1");
  request.set_text(text);
  return stub->Classify(&context, request, response);
}

// Polls until Classify(kAllThree) returns `labels` labels.
bool WaitForLabelCount(const DaemonProcess& daemon, int labels,
                       milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    v1::ClassifyResponse response;
    if (Classify(daemon, kAllThree, &response).ok() &&
        response.labels_size() == labels) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

class SettingsReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plugins_.WriteFile("kw.toml", testing::KeywordManifest(kRules));
    config_ = dir_.WriteFile("classifyd.toml", "default_top_k = 3\n");
    daemon_ = DaemonProcess::Start(plugins_.path(), {"--config", config_});
    ASSERT_NE(daemon_, nullptr);
    ASSERT_TRUE(WaitForLabelCount(*daemon_, 3, seconds(60)));
  }

  TempDir dir_;
  TempDir plugins_;
  std::string config_;
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(SettingsReloadTest, SighupAppliesAReloadableSetting) {
  dir_.WriteFile("classifyd.toml", "default_top_k = 1\n");
  daemon_->Signal(SIGHUP);
  EXPECT_TRUE(WaitForLabelCount(*daemon_, 1, seconds(60)));
  EXPECT_TRUE(
      daemon_->WaitForLog("SIGHUP: applied new default_top_k", seconds(30)));
}

TEST_F(SettingsReloadTest, SighupWarnsAboutARestartOnlySetting) {
  // (Not `listen`: the test's --listen flag wins over the file.)
  dir_.WriteFile("classifyd.toml",
                 "default_top_k = 2\nmax_message_bytes = 2048\n");
  daemon_->Signal(SIGHUP);
  EXPECT_TRUE(daemon_->WaitForLog(
      "SIGHUP: setting 'max_message_bytes' changed; it takes effect only "
      "after a restart",
      seconds(30)));
  // The reloadable part of the same file applied.
  EXPECT_TRUE(WaitForLabelCount(*daemon_, 2, seconds(60)));
}

TEST_F(SettingsReloadTest, SighupKeepsTheRunningSettingsWhenTheFileIsBroken) {
  dir_.WriteFile("classifyd.toml",
                 "default_top_k = 1\nmax_documnet_bytes = 9\n");
  daemon_->Signal(SIGHUP);
  EXPECT_TRUE(daemon_->WaitForLog(
      "SIGHUP: config not reloaded, the running settings stay", seconds(30)));
  EXPECT_THAT(daemon_->Log(),
              HasSubstr("unknown setting 'max_documnet_bytes'"));
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify(*daemon_, kAllThree, &response).ok());
  EXPECT_EQ(response.labels_size(), 3);
}

TEST(DefaultDeadlineTest, AppliesOnlyToCallsWithoutADeadline) {
  TempDir plugins;
  plugins.WriteFile("slow.toml",
                    testing::KeywordManifest(kRules, "sleep_ms = 1500"));
  auto daemon =
      DaemonProcess::Start(plugins.path(), {"--default-deadline-ms", "100"});
  ASSERT_NE(daemon, nullptr);

  v1::ClassifyResponse response;
  const grpc::Status late =
      Classify(*daemon, kAllThree, &response, /*set_deadline=*/false);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(late.error_message(), HasSubstr("default_deadline_ms"));

  // The client's own deadline (60 s) replaces the default.
  EXPECT_TRUE(Classify(*daemon, kAllThree, &response).ok());
  EXPECT_EQ(response.labels_size(), 3);

  auto stub = v1::Classifier::NewStub(daemon->NewChannel());
  grpc::ClientContext context;
  v1::ClassifyBatchRequest batch;
  batch.add_documents()->set_text(kAllThree);
  v1::ClassifyBatchResponse batch_response;
  EXPECT_EQ(stub->ClassifyBatch(&context, batch, &batch_response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
}

}  // namespace
}  // namespace classifyd
