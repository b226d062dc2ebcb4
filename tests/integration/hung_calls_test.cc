// Plugin calls that hang or crawl never hold a gRPC thread: against the
// real daemon with the purpose-built crash_hang plugin, health,
// ListPlugins, the other classifiers and new streams answer while calls
// hang (with no time limit at all), a slow plugin does not delay health,
// SIGTERM ends the process within its drain bound although calls never
// return (and waits for a slow call, not for a silent connection), and
// reloading a plugin that hangs again and again leaves the thread count
// and the listed entries bounded.
//
// No assertion depends on how fast the machine is: hangs last until the
// test releases them (or for ever), the test waits for the plugin to say
// it is hanging (entered_file), and the bounds asserted are far wider than
// what they bound (a health check "before a 5 s call completes").
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "classifyd/v1/admin.grpc.pb.h"
#include "classifyd/v1/classifier.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server/daemon.h"
#include "testing/classify_call.h"
#include "testing/daemon_process.h"
#include "testing/eventually.h"
#include "testing/raw_connection.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using testing::DaemonProcess;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

using testing::kPatience;
// What "answers at once" is given: far above a call that does not wait for
// a plugin, far below a hang.
constexpr auto kPrompt = 5s;

using testing::Eventually;

// Threads of process `pid` (/proc/<pid>/status), or -1.
int Threads(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

class HungCallsTest : public ::testing::Test {
 protected:
  // A crash_hang classifier (label = its name) that hangs on `marker`
  // until Release(name), or for `hang_ms` if given; `top` goes before
  // [options].
  void AddHanging(const std::string& name, const std::string& marker,
                  const std::string& top = "", int hang_ms = 0) {
    std::string options = "label = \"" + name + "\"\nhang_marker = \"" +
                          marker + "\"\nentered_file = \"" + File(name) +
                          ".entered\"\n";
    if (hang_ms > 0) {
      options += "hang_ms = " + std::to_string(hang_ms) + "\n";
    } else {
      options += "release_file = \"" + File(name) + ".release\"\n";
    }
    plugins_.WriteFile(name + ".toml", top + "plugin = \"" +
                                           testing::TestPluginDir() +
                                           "/crash_hang.so\"\n[options]\n" +
                                           options);
  }
  std::string File(const std::string& name) {
    return files_.path() + "/" + name;
  }
  void Release(const std::string& name) { std::ofstream{File(name) + ".release"}; }
  bool HangEntered(const std::string& name) {
    return Eventually(
        [&] { return std::filesystem::exists(File(name) + ".entered"); });
  }

  void Start(const std::vector<std::string>& args) {
    daemon_ = DaemonProcess::Start(plugins_.path(), args);
    ASSERT_NE(daemon_, nullptr);
    stub_ = v1::Classifier::NewStub(daemon_->NewChannel());
  }

  // Classifies `text` with `classifier` on another thread.
  std::future<grpc::Status> ClassifyLater(const std::string& text,
                                          const std::string& classifier) {
    return std::async(std::launch::async, [this, text, classifier] {
      v1::ClassifyResponse response;
      return testing::ClassifyText(*stub_, text, &response, {classifier},
                                   kPatience);
    });
  }

  grpc::Status Classify(const std::string& text, const std::string& classifier,
                        std::chrono::milliseconds patience = kPrompt) {
    v1::ClassifyResponse response;
    return testing::ClassifyText(*stub_, text, &response, {classifier},
                                 patience);
  }

  // The health check, answered within kPrompt: SERVING or not, or the
  // status of a check that failed.
  grpc::Status Health(bool* serving) {
    auto health = grpc::health::v1::Health::NewStub(daemon_->NewChannel());
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kPrompt);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health->Check(&context, {}, &response);
    *serving = response.status() ==
               grpc::health::v1::HealthCheckResponse::SERVING;
    return status;
  }

  grpc::Status ListPlugins(v1::ListPluginsResponse* list) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kPrompt);
    return stub_->ListPlugins(&context, {}, list);
  }

  // The daemon exits within `within`, with `status`; `held_by` names what
  // would have held it.
  void ExpectExit(std::chrono::seconds within, int status,
                  const std::string& held_by) {
    const auto exit = daemon_->WaitForExit(within);
    ASSERT_TRUE(exit.has_value()) << held_by << "\n" << daemon_->Log();
    ASSERT_TRUE(WIFEXITED(*exit)) << daemon_->Log();
    EXPECT_EQ(WEXITSTATUS(*exit), status) << daemon_->Log();
  }

  testing::TempDir plugins_;
  testing::TempDir files_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::Classifier::Stub> stub_;
};

TEST_F(HungCallsTest, TwoHungCallsWithoutTimeLimitHoldUpNothingElse) {
  plugins_.WriteFile("rules.toml", testing::KeywordManifest("x=ex"));
  AddHanging("hang_a", "HANG");
  AddHanging("hang_b", "HANG");
  ASSERT_NO_FATAL_FAILURE(Start({"--plugin-timeout-ms", "0"}));
  auto a = ClassifyLater("x HANG", "hang_a");
  auto b = ClassifyLater("x HANG", "hang_b");
  ASSERT_TRUE(HangEntered("hang_a"));
  ASSERT_TRUE(HangEntered("hang_b"));

  bool serving = false;
  grpc::Status status = Health(&serving);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(serving);
  v1::ListPluginsResponse list;
  status = ListPlugins(&list);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(list.plugins_size(), 3);
  status = Classify("x", "rules");
  EXPECT_TRUE(status.ok()) << status.error_message();

  // A new stream answers too.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kPrompt);
  auto stream = stub_->ClassifyStream(&context);
  v1::ClassifyRequest request;
  request.set_id("s1");
  request.set_text("x marks the spot");
  request.add_plugins("rules");
  ASSERT_TRUE(stream->Write(request));
  v1::ClassifyResponse answer;
  ASSERT_TRUE(stream->Read(&answer));
  EXPECT_EQ(answer.id(), "s1");
  ASSERT_EQ(answer.labels_size(), 1);
  EXPECT_EQ(answer.labels(0).name(), "ex");
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());

  // Nothing was given up on: released, the hung calls are answered.
  EXPECT_EQ(a.wait_for(0s), std::future_status::timeout);
  Release("hang_a");
  Release("hang_b");
  EXPECT_TRUE(a.get().ok());
  EXPECT_TRUE(b.get().ok());
}

TEST_F(HungCallsTest, HealthAnswersBeforeASlowCallCompletes) {
  AddHanging("slow", "SLOW", "", /*hang_ms=*/5000);
  ASSERT_NO_FATAL_FAILURE(Start({}));
  auto first = ClassifyLater("SLOW one", "slow");
  auto second = ClassifyLater("SLOW two", "slow");
  ASSERT_TRUE(HangEntered("slow"));
  bool serving = false;
  grpc::Status status = Health(&serving);
  // Answered while the slow calls still run.
  const bool slow_calls_running =
      first.wait_for(0s) == std::future_status::timeout ||
      second.wait_for(0s) == std::future_status::timeout;
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(serving);
  EXPECT_TRUE(slow_calls_running) << "health waited for the slow calls";
  EXPECT_TRUE(first.get().ok());  // Slow is not too slow: 5 s < 10 s.
  EXPECT_TRUE(second.get().ok());
}

TEST_F(HungCallsTest, SigtermWithHungCallsExitsWithinTheDrainBound) {
  plugins_.WriteFile("rules.toml", testing::KeywordManifest("x=ex"));
  AddHanging("hang_a", "HANG");
  AddHanging("hang_b", "HANG");
  ASSERT_NO_FATAL_FAILURE(
      Start({"--plugin-timeout-ms", "0", "--drain-timeout", "3"}));
  auto a = ClassifyLater("x HANG", "hang_a");
  auto b = ClassifyLater("x HANG", "hang_b");
  ASSERT_TRUE(HangEntered("hang_a"));
  ASSERT_TRUE(HangEntered("hang_b"));
  daemon_->Signal(SIGTERM);
  // The hung calls are answered by the end of the drain, not lost.
  for (auto* call : {&a, &b}) {
    const grpc::Status status = call->get();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_THAT(status.error_message(), HasSubstr("shut down"));
  }
  // 3 s of drain, plus start-up slack; today's main never exits.
  ASSERT_NO_FATAL_FAILURE(ExpectExit(30s, kAbandonedCallsExitStatus,
                                     "the hung calls held the exit"));
  EXPECT_THAT(daemon_->Log(),
              HasSubstr("2 plugin call(s) that timed out are still running"));
}

// A plugin that hangs in create() holds the reload control thread, and
// with it the admin call that asked for the load: SIGTERM still ends the
// process at the drain's end, with the status of a plugin left running.
TEST_F(HungCallsTest, SigtermWithAPluginHangingInCreateExitsWithinTheDrain) {
  plugins_.WriteFile("rules.toml", testing::KeywordManifest("x=ex"));
  ASSERT_NO_FATAL_FAILURE(Start({"--drain-timeout", "2"}));
  plugins_.WriteFile("stuck.toml", "plugin = \"" + testing::TestPluginDir() +
                                       "/crash_hang.so\"\n[options]\n"
                                       "hang_in_create = true\n"
                                       "entered_file = \"" +
                                       File("stuck") + ".entered\"\n");
  // The watcher's rescan loads it; an admin reload of it queues behind.
  ASSERT_TRUE(HangEntered("stuck"));
  auto admin = v1::PluginAdmin::NewStub(daemon_->NewAdminChannel());
  auto reload = std::async(std::launch::async, [&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kPatience);
    v1::ReloadRequest request;
    request.set_name("stuck");
    v1::ReloadResponse response;
    return admin->Reload(&context, request, &response);
  });
  std::this_thread::sleep_for(200ms);  // Let the reload reach the queue.

  daemon_->Signal(SIGTERM);
  EXPECT_NE(reload.get().error_code(), grpc::StatusCode::OK);
  ASSERT_NO_FATAL_FAILURE(ExpectExit(30s, kAbandonedCallsExitStatus,
                                     "the hung create() held the exit"));
  EXPECT_THAT(daemon_->Log(), HasSubstr("a reload is still running"));
}

TEST_F(HungCallsTest, ReloadingAPluginThatHangsKeepsThreadsBounded) {
  plugins_.WriteFile("rules.toml", testing::KeywordManifest("x=ex"));
  AddHanging("hang", "HANG", "timeout_ms = 500\n");
  ASSERT_NO_FATAL_FAILURE(Start({}));
  ASSERT_TRUE(Classify("x", "hang").ok());  // Its worker exists.
  ASSERT_TRUE(Classify("x", "rules").ok());
  const int threads_before = Threads(daemon_->pid());
  auto admin = v1::PluginAdmin::NewStub(daemon_->NewAdminChannel());
  int failed_reloads = 0;
  for (int i = 0; i < 20; ++i) {
    // DEADLINE_EXCEEDED past 500 ms, or UNAVAILABLE while skipped.
    (void)Classify("HANG", "hang", kPatience);
    v1::ReloadRequest request;
    request.set_name("hang");
    v1::ReloadResponse reloaded;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kPatience);
    ASSERT_TRUE(admin->Reload(&context, request, &reloaded).ok());
    failed_reloads += reloaded.failed();
  }
  // At most max_stuck_calls_per_name (4) calls stay stuck; later reloads
  // are refused rather than hanging one more thread each.
  EXPECT_GT(failed_reloads, 0);
  v1::ListPluginsResponse list;
  ASSERT_TRUE(ListPlugins(&list).ok());
  int hang_entries = 0;
  for (const auto& p : list.plugins()) hang_entries += p.name() == "hang";
  EXPECT_LE(hang_entries, 1 + 4);
  // Idle workers of the retired generations end within a few seconds.
  EXPECT_TRUE(Eventually(
      [&] { return Threads(daemon_->pid()) <= threads_before + 4 + 2; }))
      << "threads: " << threads_before << " -> " << Threads(daemon_->pid());
  // The other classifier and health are unaffected.
  EXPECT_TRUE(Classify("x", "rules").ok());
  bool serving = false;
  ASSERT_TRUE(Health(&serving).ok());
  EXPECT_TRUE(serving);
}

// A connection that carries no call does not hold the drain, however its
// client behaves: here one that never answers the ping sent with the
// GOAWAY (gRPC's own shutdown waits 20 s for it), beside a call in flight,
// which is still answered.
TEST_F(HungCallsTest, SigtermWaitsForTheCallsInFlightButNotForIdleConnections) {
  AddHanging("slow", "SLOW", "", /*hang_ms=*/1000);
  ASSERT_NO_FATAL_FAILURE(Start({"--drain-timeout", "60"}));
  testing::RawConnection silent(daemon_->port());
  ASSERT_TRUE(silent.connected()) << strerror(errno);
  silent.Send(testing::kHttp2ClientHello);
  auto call = ClassifyLater("SLOW", "slow");
  ASSERT_TRUE(HangEntered("slow"));

  daemon_->Signal(SIGTERM);
  const grpc::Status status = call.get();
  EXPECT_TRUE(status.ok()) << status.error_message();
  ExpectExit(15s, 0, "the silent connection held the exit");
}

// The same on the admin socket: a silent client there holds no stop.
TEST_F(HungCallsTest, SigtermDoesNotWaitForAnIdleAdminConnection) {
  AddHanging("slow", "SLOW", "", /*hang_ms=*/1000);
  ASSERT_NO_FATAL_FAILURE(Start({"--drain-timeout", "60"}));
  testing::RawConnection silent(daemon_->admin_socket());
  ASSERT_TRUE(silent.connected()) << strerror(errno);
  silent.Send(testing::kHttp2ClientHello);
  ASSERT_TRUE(silent.ReceivedAny()) << "no HTTP/2 settings from the server";

  daemon_->Signal(SIGTERM);
  ExpectExit(15s, 0, "the silent admin connection held the exit");
}

}  // namespace
}  // namespace classifyd
