// Integration tests of calibration files against the real daemon: scores
// are mapped before the weight, the merge and top_k, ListPlugins names the file,
// an edit hot-reloads the classifier like a model change, and a broken
// file is refused with its line while the previous version serves.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::HasSubstr;
using testing::DaemonProcess;
using testing::KeywordManifest;

constexpr char kHeader[] = "# classifyd calibration v1\n";

class CalibrationTest : public ::testing::Test {
 protected:
  // `rules` labels 地震 disaster and 股 finance with raw score 0.5, and
  // gives `extra_options` to the keyword plugin.
  void Start(const std::string& calibration, double weight = 1.0,
             const std::string& extra_options = "") {
    plugins_.WriteFile("cal.tsv", calibration);
    plugins_.WriteFile(
        "rules.toml",
        "calibration = \"cal.tsv\"\n" +
            KeywordManifest("地震=disaster;股=finance",
                            "score = 0.5\n" + extra_options, weight));
    daemon_ = DaemonProcess::Start(plugins_.path());
    ASSERT_NE(daemon_, nullptr);
    stub_ = v1::Classifier::NewStub(daemon_->NewChannel());
  }

  // Replaces the calibration file the way editors and deploy tools do.
  void Rewrite(const std::string& calibration) {
    plugins_.WriteFile(".cal.tmp", calibration);
    std::filesystem::rename(plugins_.path() + "/.cal.tmp",
                            plugins_.path() + "/cal.tsv");
  }

  v1::PluginInfo Info() {
    const v1::ListPluginsResponse list = daemon_->AdminListPlugins();
    return list.plugins_size() == 1 ? list.plugins(0) : v1::PluginInfo();
  }

  // Polls ListPlugins until `done` holds for the classifier.
  template <typename Predicate>
  bool WaitFor(Predicate done) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done(Info())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  v1::ClassifyResponse Classify(const std::string& text, uint32_t top_k = 0) {
    v1::ClassifyRequest request;
    request.set_text(text);
    request.set_min_score(0.0f);
    request.set_top_k(top_k);
    grpc::ClientContext context;
    v1::ClassifyResponse response;
    EXPECT_TRUE(stub_->Classify(&context, request, &response).ok());
    return response;
  }

  testing::TempDir plugins_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::Classifier::Stub> stub_;
};

TEST_F(CalibrationTest, ScoresAreCalibratedPerLabelBeforeTheWeight) {
  ASSERT_NO_FATAL_FAILURE(Start(std::string(kHeader) +
                                    "disaster\t0:0 1:0.4\n"
                                    "*\t0:0.9 1:0.9\n",
                                /*weight=*/2.0));
  const auto response = Classify("地震后股市下跌");
  ASSERT_EQ(response.labels_size(), 2);
  // finance: `*` gives 0.9, times 2, capped at 1. disaster: 0.2, times 2.
  EXPECT_EQ(response.labels(0).name(), "finance");
  EXPECT_FLOAT_EQ(response.labels(0).score(), 1.0f);
  EXPECT_EQ(response.labels(1).name(), "disaster");
  EXPECT_FLOAT_EQ(response.labels(1).score(), 0.4f);

  const v1::PluginInfo info = Info();
  EXPECT_EQ(info.calibration_path(), plugins_.path() + "/cal.tsv");
  EXPECT_EQ(info.state(), v1::PluginInfo::READY);
}

// The keyword plugin scores both labels 0.5 and lists disaster first, so
// disaster is its top label (the first listed of a tie) when both match.
TEST_F(CalibrationTest, TopLabelLinesApplyToTheClassifiersTopLabel) {
  ASSERT_NO_FATAL_FAILURE(Start(std::string(kHeader) + "*@1\t0:0.8 1:0.8\n"
                                                       "*\t0:0.3 1:0.3\n"));
  const auto both = Classify("地震后股市下跌");
  ASSERT_EQ(both.labels_size(), 2);
  EXPECT_EQ(both.labels(0).name(), "disaster");
  EXPECT_FLOAT_EQ(both.labels(0).score(), 0.8f);
  EXPECT_EQ(both.labels(1).name(), "finance");
  EXPECT_FLOAT_EQ(both.labels(1).score(), 0.3f);
  const auto alone = Classify("股市下跌");
  ASSERT_EQ(alone.labels_size(), 1);
  EXPECT_EQ(alone.labels(0).name(), "finance");
  EXPECT_FLOAT_EQ(alone.labels(0).score(), 0.8f);
}

// The plugin gives at most the call's top_k labels, disaster first; the
// calibration ranks finance first. top_k must not decide the best label.
TEST_F(CalibrationTest, TopKIsAppliedAfterTheCalibrationReordersLabels) {
  ASSERT_NO_FATAL_FAILURE(Start(std::string(kHeader) +
                                    "disaster\t0:0 1:0.2\n"
                                    "finance\t0:0 1:0.9\n",
                                /*weight=*/1.0, "obey_top_k = \"true\""));
  const auto all = Classify("地震后股市下跌", /*top_k=*/5);
  ASSERT_EQ(all.labels_size(), 2);
  EXPECT_EQ(all.labels(0).name(), "finance");
  const auto best = Classify("地震后股市下跌", /*top_k=*/1);
  ASSERT_EQ(best.labels_size(), 1);
  EXPECT_EQ(best.labels(0).name(), "finance");
  EXPECT_FLOAT_EQ(best.labels(0).score(), 0.45f);
}

TEST_F(CalibrationTest, AnEditReloadsTheClassifierAndABrokenOneIsRefused) {
  ASSERT_NO_FATAL_FAILURE(
      Start(std::string(kHeader) + "disaster\t0:0 1:0.1\n"));
  // Calibrated under the default min_score (0.2): a best guess.
  v1::ClassifyRequest request;
  request.set_text("四川地震");
  grpc::ClientContext context;
  v1::ClassifyResponse response;
  ASSERT_TRUE(stub_->Classify(&context, request, &response).ok());
  ASSERT_EQ(response.labels_size(), 1);
  EXPECT_FLOAT_EQ(response.labels(0).score(), 0.05f);
  EXPECT_TRUE(response.labels(0).low_confidence());
  const uint64_t generation = Info().generation();

  Rewrite(std::string(kHeader) + "disaster\t0:0 1:0.8\n");
  ASSERT_TRUE(WaitFor([&](const v1::PluginInfo& info) {
    return info.generation() > generation;
  })) << daemon_->Log();
  EXPECT_FLOAT_EQ(Classify("四川地震").labels(0).score(), 0.4f);
  const uint64_t reloaded = Info().generation();

  Rewrite(std::string(kHeader) + "disaster\t0:0.5 1:0.2\n");
  ASSERT_TRUE(WaitFor([](const v1::PluginInfo& info) {
    return info.state() == v1::PluginInfo::FAILED;
  })) << daemon_->Log();
  const v1::PluginInfo failed = Info();
  EXPECT_THAT(failed.error(),
              HasSubstr("calibration '" + plugins_.path() +
                        "/cal.tsv' line 2: label 'disaster': knot 2 "
                        "'1:0.2': calibrated values must not decrease"));
  EXPECT_EQ(failed.generation(), reloaded);  // The last good one serves.
  EXPECT_FLOAT_EQ(Classify("四川地震").labels(0).score(), 0.4f);
}

}  // namespace
}  // namespace classifyd
