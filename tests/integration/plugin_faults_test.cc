// Plugin faults against the real daemon, with the purpose-built crash_hang
// plugin: a classifier that hangs is timed out and skipped while the others
// answer, recovers when its call returns, is replaced by a reload, turns
// health NOT_SERVING when no other classifier can answer, and holds up
// neither reloads nor shutdown; a classifier that crashes takes
// the process down (plugins run in-process, see docs/security.md), every
// response the client already had was complete, and a restart serves
// again; one that calls exit(0) ends it with a failure status, never 0.
//
// No test depends on how fast the machine is: hangs last until the test
// creates a release file (or for ever), the test waits for the plugin to
// say it is hanging (entered_file) instead of sleeping, and the time limits
// (1.5 s) are far above what a call that does not hang takes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <thread>

#include "classifyd/v1/admin.grpc.pb.h"
#include "classifyd/v1/classifier.grpc.pb.h"
#include "server/daemon.h"
#include "testing/classify_call.h"
#include "testing/daemon_process.h"
#include "testing/eventually.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using testing::DaemonProcess;
using ::testing::HasSubstr;
using testing::KeywordManifest;

constexpr int kTimeoutMs = 1500;
using testing::kPatience;

// A manifest for the crash_hang plugin (label "faulty") with `options`
// (TOML lines of [options]) and `top` (lines before it).
std::string FaultyManifest(const std::string& options,
                           const std::string& top = "") {
  return top + "plugin = \"" + testing::TestPluginDir() +
         "/crash_hang.so\"\n[options]\nlabel = \"faulty\"\n" + options + "\n";
}

std::string TimeoutLine(int ms) {
  return "timeout_ms = " + std::to_string(ms) + "\n";
}

// Polls `done` every 50 ms for up to a minute.
using testing::Eventually;

bool Exists(const std::string& path) { return std::filesystem::exists(path); }

void Touch(const std::string& path) { std::ofstream{path}; }

class PluginFaultsTest : public ::testing::Test {
 protected:
  // Options of a hang on `marker` that lasts until Release(`name`), and
  // says when it starts (HangEntered(`name`)).
  std::string HangOptions(const std::string& marker, const std::string& name) {
    return "hang_marker = \"" + marker + "\"\nrelease_file = \"" +
           files_.path() + "/" + name + ".release\"\nentered_file = \"" +
           files_.path() + "/" + name + ".entered\"";
  }
  void Release(const std::string& name) {
    Touch(files_.path() + "/" + name + ".release");
  }
  bool HangEntered(const std::string& name) {
    return Eventually(
        [&] { return Exists(files_.path() + "/" + name + ".entered"); });
  }

  void Start(const std::vector<std::string>& args = {}) {
    daemon_ = DaemonProcess::Start(plugins_.path(), args);
    ASSERT_NE(daemon_, nullptr);
    stub_ = v1::Classifier::NewStub(daemon_->NewChannel());
  }

  grpc::Status Classify(const std::string& text, v1::ClassifyResponse* response,
                        const std::vector<std::string>& plugins = {}) {
    return testing::ClassifyText(*stub_, text, response, plugins, kPatience);
  }

  // A forced reload of `name` through the admin socket, which must load a
  // new generation.
  void Reload(const std::string& name) {
    auto admin = v1::PluginAdmin::NewStub(daemon_->NewAdminChannel());
    v1::ReloadRequest request;
    request.set_name(name);
    v1::ReloadResponse reloaded;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kPatience);
    const grpc::Status status = admin->Reload(&context, request, &reloaded);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(reloaded.loaded(), 1);
  }

  std::vector<v1::PluginInfo> List() {
    const v1::ListPluginsResponse list = daemon_->AdminListPlugins();
    return {list.plugins().begin(), list.plugins().end()};
  }

  // The entry called `name` that is not UNLOADING.
  v1::PluginInfo Info(const std::string& name) {
    for (const auto& p : List()) {
      if (p.name() == name && p.state() != v1::PluginInfo::UNLOADING) return p;
    }
    return {};  // Not (yet) known: name empty, state STATE_UNSPECIFIED.
  }

  // The entry of `name` that is UNLOADING (a replaced or removed version
  // still held), if any.
  std::optional<v1::PluginInfo> Unloading(const std::string& name) {
    for (const auto& p : List()) {
      if (p.name() == name && p.state() == v1::PluginInfo::UNLOADING) return p;
    }
    return std::nullopt;
  }

  // What `name` reported in the `classifiers` list of `response`.
  static const v1::ClassifierRun* Run(const v1::ClassifyResponse& response,
                                      const std::string& name) {
    for (const auto& run : response.classifiers()) {
      if (run.name() == name) return &run;
    }
    return nullptr;
  }
  static int RunCode(const v1::ClassifyResponse& response,
                     const std::string& name) {
    const v1::ClassifierRun* run = Run(response, name);
    return run != nullptr ? run->status().code() : -1;
  }
  static std::vector<std::string> LabelPlugins(
      const v1::ClassifyResponse& response) {
    std::vector<std::string> plugins;
    for (const auto& label : response.labels()) {
      plugins.push_back(label.plugin());
    }
    std::sort(plugins.begin(), plugins.end());
    return plugins;
  }

  testing::TempDir plugins_;
  testing::TempDir files_;  // Release and entered files.
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::Classifier::Stub> stub_;
};

using Plugins = std::vector<std::string>;

TEST_F(PluginFaultsTest, AHangingClassifierTimesOutAndTheOthersStillAnswer) {
  plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
  plugins_.WriteFile("hang.toml", FaultyManifest(HangOptions("HANG", "hang"),
                                                 TimeoutLine(kTimeoutMs)));
  ASSERT_NO_FATAL_FAILURE(Start());

  v1::ClassifyResponse response;
  grpc::Status status = Classify("x HANG", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(HangEntered("hang"));
  EXPECT_EQ(response.error().code(), 0);
  EXPECT_EQ(LabelPlugins(response), Plugins{"rules"});
  EXPECT_EQ(RunCode(response, "rules"), grpc::StatusCode::OK);
  ASSERT_EQ(RunCode(response, "hang"), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(Run(response, "hang")->status().message(),
            "classifier 'hang' did not answer within 1500 ms");

  // While the call is stuck the classifier is skipped, not called again.
  v1::PluginInfo info = Info("hang");
  EXPECT_EQ(info.state(), v1::PluginInfo::READY);
  EXPECT_EQ(info.stuck_calls(), 1u);
  EXPECT_EQ(info.timed_out_calls(), 1u);
  EXPECT_EQ(Info("rules").stuck_calls(), 0u);
  ASSERT_TRUE(Classify("x HANG again", &response).ok());
  EXPECT_EQ(RunCode(response, "hang"), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(Run(response, "hang")->status().message(),
              HasSubstr("is skipped"));
  EXPECT_EQ(LabelPlugins(response), Plugins{"rules"});
  EXPECT_EQ(Info("hang").timed_out_calls(), 1u);  // Skipped, not called.
  // A document only the stuck classifier was asked for fails.
  status = Classify("x", &response, {"hang"});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("skipped"));
  // The daemon still serves: another classifier can answer.
  EXPECT_TRUE(daemon_->WaitForHealth(true, std::chrono::seconds(10)));

  // When the stuck call returns, the classifier is back by itself.
  Release("hang");
  EXPECT_TRUE(Eventually([&] { return Info("hang").stuck_calls() == 0; }));
  EXPECT_EQ(Info("hang").timed_out_calls(), 1u);
  ASSERT_TRUE(Classify("x", &response).ok());
  EXPECT_EQ(RunCode(response, "hang"), grpc::StatusCode::OK);
  EXPECT_EQ(LabelPlugins(response), (Plugins{"hang", "rules"}));
  EXPECT_THAT(daemon_->Log(), HasSubstr("back in service"));
}

// With every classifier stuck nothing can answer: health says so (a load
// balancer or Kubernetes readiness probe then sends work elsewhere), and
// says SERVING again as soon as one is back, by itself or by a reload.
TEST_F(PluginFaultsTest, WhenEveryClassifierIsStuckHealthIsNotServing) {
  plugins_.WriteFile("hang.toml", FaultyManifest(HangOptions("HANG", "hang"),
                                                 TimeoutLine(kTimeoutMs)));
  ASSERT_NO_FATAL_FAILURE(Start({"--watch", "false"}));
  v1::ClassifyResponse response;
  EXPECT_EQ(Classify("HANG", &response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  ASSERT_EQ(Info("hang").stuck_calls(), 1u);
  EXPECT_TRUE(daemon_->WaitForHealth(false, std::chrono::seconds(10)));
  EXPECT_TRUE(daemon_->WaitForHealth(false, std::chrono::seconds(10),
                                     "classifyd.v1.Classifier/hang"));
  EXPECT_THAT(daemon_->Log(),
              HasSubstr("health: NOT_SERVING: every ready classifier is "
                        "skipped"));
  Release("hang");
  EXPECT_TRUE(daemon_->WaitForHealth(true, kPatience));
  EXPECT_TRUE(daemon_->WaitForHealth(true, kPatience,
                                     "classifyd.v1.Classifier/hang"));
  ASSERT_TRUE(Classify("fine", &response).ok());

  // Stuck again, then replaced by a reload: the new generation answers.
  std::filesystem::remove(files_.path() + "/hang.release");
  EXPECT_EQ(Classify("HANG", &response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(daemon_->WaitForHealth(false, std::chrono::seconds(10)));
  ASSERT_NO_FATAL_FAILURE(Reload("hang"));
  EXPECT_TRUE(daemon_->WaitForHealth(true, std::chrono::seconds(10)));
  ASSERT_TRUE(Classify("fine", &response).ok());
  Release("hang");  // The replaced generation's call.
}

TEST_F(PluginFaultsTest, AReloadReplacesAStuckClassifierAndKeepsItsLibrary) {
  plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
  plugins_.WriteFile("hang.toml", FaultyManifest(HangOptions("HANG", "hang"),
                                                 TimeoutLine(kTimeoutMs)));
  ASSERT_NO_FATAL_FAILURE(Start({"--watch", "false"}));
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify("x HANG", &response).ok());
  ASSERT_EQ(RunCode(response, "hang"), grpc::StatusCode::DEADLINE_EXCEEDED);
  const uint64_t stuck_generation = Info("hang").generation();
  ASSERT_EQ(Info("hang").stuck_calls(), 1u);

  ASSERT_NO_FATAL_FAILURE(Reload("hang"));

  // The new generation serves at once, with a clean record...
  const v1::PluginInfo fresh = Info("hang");
  EXPECT_EQ(fresh.state(), v1::PluginInfo::READY);
  EXPECT_GT(fresh.generation(), stuck_generation);
  EXPECT_EQ(fresh.stuck_calls(), 0u);
  EXPECT_EQ(fresh.timed_out_calls(), 0u);
  ASSERT_TRUE(Classify("x", &response).ok());
  EXPECT_EQ(RunCode(response, "hang"), grpc::StatusCode::OK);
  EXPECT_EQ(Run(response, "hang")->generation(), fresh.generation());
  EXPECT_EQ(LabelPlugins(response), (Plugins{"hang", "rules"}));

  // ...while the old one, still inside the plugin, stays listed and
  // loaded until its call returns; then it is unloaded like any other.
  const std::optional<v1::PluginInfo> old = Unloading("hang");
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->generation(), stuck_generation);
  EXPECT_EQ(old->stuck_calls(), 1u);
  EXPECT_EQ(old->timed_out_calls(), 1u);
  const std::string unloaded = "classifier hang: generation " +
                               std::to_string(stuck_generation) + " unloaded";
  EXPECT_THAT(daemon_->Log(), ::testing::Not(HasSubstr(unloaded)));
  Release("hang");
  EXPECT_TRUE(daemon_->WaitForLog(unloaded, kPatience));
  EXPECT_TRUE(Eventually([&] { return !Unloading("hang").has_value(); }));
  ASSERT_TRUE(Classify("x", &response).ok());
  EXPECT_EQ(LabelPlugins(response), (Plugins{"hang", "rules"}));
}

TEST_F(PluginFaultsTest, TheDaemonWideTimeoutAppliesAndShutdownIsNotHeldUp) {
  plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
  // No timeout_ms of their own. `stuck` hangs for ever; `slow` is in the
  // middle of a call when SIGTERM comes.
  plugins_.WriteFile("stuck.toml",
                     FaultyManifest(HangOptions("HANG", "stuck")));
  plugins_.WriteFile("slow.toml", FaultyManifest(HangOptions("SLOW", "slow")));
  ASSERT_NO_FATAL_FAILURE(
      Start({"--plugin-timeout-ms", std::to_string(kTimeoutMs),
             "--drain-timeout", "20"}));

  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify("x HANG", &response).ok());
  EXPECT_EQ(RunCode(response, "stuck"), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(RunCode(response, "slow"), grpc::StatusCode::OK);
  EXPECT_EQ(RunCode(response, "rules"), grpc::StatusCode::OK);
  EXPECT_EQ(LabelPlugins(response), (Plugins{"rules", "slow"}));
  EXPECT_EQ(Info("stuck").stuck_calls(), 1u);

  // A call in flight when SIGTERM comes is answered during the drain, as
  // far as the time limit allows...
  auto in_flight = std::async(std::launch::async, [&] {
    v1::ClassifyResponse r;
    grpc::Status s = Classify("x SLOW", &r);
    return std::make_pair(s, r);
  });
  ASSERT_TRUE(HangEntered("slow"));
  const auto signalled = std::chrono::steady_clock::now();
  daemon_->Signal(SIGTERM);
  auto [status, answer] = in_flight.get();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(RunCode(answer, "slow"), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(RunCode(answer, "stuck"), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(LabelPlugins(answer), Plugins{"rules"});

  // ...and the two calls that never return do not hold the exit up.
  auto exit = daemon_->WaitForExit(kPatience);
  ASSERT_TRUE(exit.has_value()) << daemon_->Log();
  const double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - signalled)
                             .count();
  std::cout << "[ shutdown ] exited " << seconds << " s after SIGTERM\n";
  EXPECT_LT(seconds, 20.0) << "the drain bound";
  EXPECT_TRUE(WIFEXITED(*exit));
  // Every request was answered, but plugins misbehaved: not a clean 0.
  EXPECT_EQ(WEXITSTATUS(*exit), kAbandonedCallsExitStatus);
  EXPECT_THAT(daemon_->Log(),
              HasSubstr("2 plugin call(s) that timed out are still running; "
                        "exiting without waiting for them"));
  EXPECT_THAT(daemon_->Log(), HasSubstr("classifyd stopped"));
}

TEST_F(PluginFaultsTest, AClassifierThatHangsInWarmUpIsRefused) {
  plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
  ASSERT_NO_FATAL_FAILURE(Start({"--watch", "false"}));
  // Hot-loaded: its warm-up document hangs it.
  plugins_.WriteFile(
      "hang.toml",
      FaultyManifest(HangOptions("WARMUP", "hang"),
                     TimeoutLine(kTimeoutMs) + "warmup = \"WARMUP hangs\"\n"));
  daemon_->Signal(SIGHUP);
  ASSERT_TRUE(Eventually(
      [&] { return Info("hang").state() == v1::PluginInfo::FAILED; }));
  EXPECT_TRUE(HangEntered("hang"));
  EXPECT_THAT(Info("hang").error(),
              HasSubstr("warm-up classification failed: classifier 'hang' did "
                        "not answer within 1500 ms"));

  // Reloads are not held up behind it, and the others serve.
  plugins_.WriteFile("late.toml", KeywordManifest("x=late"));
  daemon_->Signal(SIGHUP);
  ASSERT_TRUE(Eventually(
      [&] { return Info("late").state() == v1::PluginInfo::READY; }));
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify("x", &response).ok());
  EXPECT_EQ(LabelPlugins(response), (Plugins{"late", "rules"}));
  EXPECT_EQ(Run(response, "hang"), nullptr);

  // When the warm-up call returns, the refused instance is destroyed.
  Release("hang");
  EXPECT_TRUE(daemon_->WaitForLog("classifier hang: generation", kPatience));
  EXPECT_EQ(Info("hang").state(), v1::PluginInfo::FAILED);
}

TEST_F(PluginFaultsTest, ACrashDuringARequestLosesNoAcknowledgedWork) {
  plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
  plugins_.WriteFile("crash.toml", FaultyManifest("crash_marker = \"CRASH\""));
  ASSERT_NO_FATAL_FAILURE(Start());

  // One stream: documents answered one by one (so each answer is known to
  // have been acknowledged before the next is sent), then one that crashes
  // the plugin, then more that can never be answered.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kPatience);
  auto stream = stub_->ClassifyStream(&context);
  constexpr int kAnswered = 20;
  v1::ClassifyRequest request;
  v1::ClassifyResponse response;
  int received = 0;
  for (int i = 0; i < kAnswered; ++i) {
    request.set_id(std::to_string(i));
    request.set_text("x " + std::to_string(i));
    ASSERT_TRUE(stream->Write(request));
    ASSERT_TRUE(stream->Read(&response));
    // Every response that arrived is complete and correct.
    EXPECT_EQ(response.id(), std::to_string(i));
    EXPECT_EQ(response.error().code(), 0);
    EXPECT_EQ(LabelPlugins(response), (Plugins{"crash", "rules"}));
    EXPECT_EQ(RunCode(response, "crash"), 0);
    EXPECT_EQ(RunCode(response, "rules"), 0);
    ++received;
  }
  for (int i = kAnswered; i < kAnswered + 10; ++i) {
    request.set_id(std::to_string(i));
    request.set_text(i == kAnswered ? "x CRASH" : "x");
    if (!stream->Write(request)) break;  // The daemon may be gone already.
  }
  stream->WritesDone();
  while (stream->Read(&response)) ++received;
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(received, kAnswered) << "an answer after the crash";
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();

  auto exit = daemon_->WaitForExit(kPatience);
  ASSERT_TRUE(exit.has_value());
  EXPECT_FALSE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0)
      << "a crash must look like a failure to the supervisor";
  std::cout << "[ crash    ] " << received << " answers, then "
            << (WIFSIGNALED(*exit)
                    ? std::string("signal ") + strsignal(WTERMSIG(*exit))
                    : "exit " + std::to_string(WEXITSTATUS(*exit)))
            << "; the client saw " << status.error_message() << "\n";

  // The supervisor (systemd Restart=on-failure) starts it again with the
  // same manifests; it serves, the crashing classifier included.
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_TRUE(Classify("x", &response).ok());
  EXPECT_EQ(LabelPlugins(response), (Plugins{"crash", "rules"}));
}

TEST_F(PluginFaultsTest, ALibraryThatCrashesWhileLoadingTakesTheDaemonDown) {
  plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
  ASSERT_NO_FATAL_FAILURE(Start({"--watch", "false"}));
  plugins_.WriteFile("boom.toml", FaultyManifest("crash_in_create = true"));
  daemon_->Signal(SIGHUP);
  auto exit = daemon_->WaitForExit(kPatience);
  ASSERT_TRUE(exit.has_value());
  EXPECT_FALSE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0);
}

TEST_F(PluginFaultsTest, APluginCallingExitIsAFailureNotACleanStop) {
  plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
  plugins_.WriteFile("quits.toml", FaultyManifest("exit_marker = \"QUIT\""));
  ASSERT_NO_FATAL_FAILURE(Start());
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify("x", &response).ok());

  // exit(0) from inside classify: to systemd's Restart=on-failure, status
  // 0 would be a clean stop and the daemon would stay down.
  EXPECT_FALSE(Classify("x QUIT", &response).ok());
  auto exit = daemon_->WaitForExit(kPatience);
  ASSERT_TRUE(exit.has_value());
  ASSERT_TRUE(WIFEXITED(*exit)) << daemon_->Log();
  EXPECT_EQ(WEXITSTATUS(*exit), 70) << "EX_SOFTWARE";
  EXPECT_THAT(daemon_->Log(), HasSubstr("a plugin (or a library) called exit()"));
}

}  // namespace
}  // namespace classifyd
