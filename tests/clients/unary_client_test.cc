// clients/python/classify.py, the unary example: it prints the daemon's
// labels, reports a refused document with the server's reason, and its
// channel's retry policy really retries UNAVAILABLE (counted in the
// daemon's debug log, which logs every Classify call).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "testing/child_process.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using testing::DaemonProcess;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::KeywordManifest;
using testing::ProgramResult;
using testing::RunProgram;

ProgramResult Classify(const DaemonProcess& daemon,
                       const std::vector<std::string>& args) {
  std::vector<std::string> argv = {
      CLASSIFYD_SYSTEM_PYTHON,
      testing::SourceDir() + "/clients/python/classify.py", "--addr",
      daemon.address()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, {{"PYTHONPATH", CLASSIFYD_PYTHON_CLIENT_PATH}});
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST(UnaryClientTest, PrintsTheLabels) {
  testing::TempDir plugins;
  plugins.WriteFile("rules.toml",
                    KeywordManifest("地震=disaster", "score = 0.75"));
  // Under the default min_score 0.2: only ever a best guess.
  plugins.WriteFile("weak.toml",
                    KeywordManifest("台风=weather", "score = 0.05"));
  auto daemon = DaemonProcess::Start(plugins.path());
  ASSERT_NE(daemon, nullptr);
  ProgramResult run = Classify(*daemon, {"四川地震"});
  EXPECT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.OutLines(), ElementsAre("disaster\t0.750\trules"));
  run = Classify(*daemon, {"台风登陆"});
  EXPECT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.OutLines(),
              ElementsAre("weather\t0.050\tweak\t(low confidence)"));
}

TEST(UnaryClientTest, ReportsARefusedDocumentWithTheServersReason) {
  testing::TempDir plugins;
  plugins.WriteFile("rules.toml", KeywordManifest("地震=disaster"));
  auto daemon = DaemonProcess::Start(plugins.path());
  ASSERT_NE(daemon, nullptr);
  ProgramResult run = Classify(*daemon, {"   "});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("INVALID_ARGUMENT: text contains only "
                                 "whitespace"));
  run = Classify(*daemon, {"--plugin", "nope", "地震"});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("NOT_FOUND"));
  EXPECT_THAT(run.err, HasSubstr("nope"));
}

TEST(UnaryClientTest, RetriesWhileNoClassifierIsReady) {
  // No manifests: the daemon listens but answers UNAVAILABLE.
  testing::TempDir plugins;
  auto daemon =
      DaemonProcess::Start(plugins.path(), {}, /*wait_serving=*/false);
  ASSERT_NE(daemon, nullptr);
  const ProgramResult run = Classify(*daemon, {"--timeout", "120", "地震"});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("UNAVAILABLE"));
  // The service config's maxAttempts is 5: the first try and 4 retries.
  // The client has exited, so every attempt has reached the daemon; poll
  // only for its log to be written.
  const std::string attempt = "Classify id= bytes=6 labels=0 code=14";
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (Count(daemon->Log(), attempt) < 5 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(Count(daemon->Log(), attempt), 5u) << daemon->Log();
}

}  // namespace
}  // namespace classifyd
