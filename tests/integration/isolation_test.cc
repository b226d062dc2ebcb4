// Classifiers with isolation = "process" against the real daemon, with the
// purpose-built crash_hang plugin in a child process: a segfault, exit(0)
// or hang in the child fails only that classifier's documents in flight
// (every other document on every stream is answered), the child is
// restarted and serves again, a document that crashed it twice is refused
// instead of being sent again, and an isolated classifier answers exactly
// as the same plugin in-process does.
//
// No test depends on the machine's speed: crashes and hangs happen on
// marker documents, and the tests wait for the restart by polling.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
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
using ::testing::Not;

using testing::kPatience;
constexpr char kIsolated[] = "isolation = \"process\"\n";

// The crash_hang plugin (label "faulty") in the daemon, with `options`
// (TOML lines of [options]) and `top` (lines before them).
std::string FaultyManifest(const std::string& options,
                           const std::string& top = "") {
  return top + "plugin = \"" + testing::TestPluginDir() +
         "/crash_hang.so\"\n[options]\nlabel = \"faulty\"\n" + options + "\n";
}

// The same in its own process.
std::string IsolatedFaultyManifest(const std::string& options,
                                   const std::string& top = "") {
  return FaultyManifest(options, kIsolated + top);
}

using testing::Eventually;

const v1::ClassifierRun* Run(const v1::ClassifyResponse& response,
                             const std::string& name) {
  for (const auto& run : response.classifiers()) {
    if (run.name() == name) return &run;
  }
  return nullptr;
}

int RunCode(const v1::ClassifyResponse& response, const std::string& name) {
  const v1::ClassifierRun* run = Run(response, name);
  return run != nullptr ? run->status().code() : -1;
}

std::string RunMessage(const v1::ClassifyResponse& response,
                       const std::string& name) {
  const v1::ClassifierRun* run = Run(response, name);
  return run != nullptr ? run->status().message() : "";
}

// "plugin:label:score" of every label, sorted.
std::vector<std::string> LabelsOf(const v1::ClassifyResponse& response,
                                  const std::string& rename_from = "",
                                  const std::string& rename_to = "") {
  std::vector<std::string> out;
  for (const auto& label : response.labels()) {
    const std::string plugin =
        label.plugin() == rename_from ? rename_to : label.plugin();
    out.push_back(plugin + ":" + label.name() + ":" +
                  std::to_string(label.score()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

class IsolationTest : public ::testing::Test {
 protected:
  void Start(const std::vector<std::string>& args = {}) {
    daemon_ = DaemonProcess::Start(plugins_.path(), args);
    ASSERT_NE(daemon_, nullptr);
    stub_ = v1::Classifier::NewStub(daemon_->NewChannel());
  }

  grpc::Status Classify(const std::string& text, v1::ClassifyResponse* response,
                        const std::vector<std::string>& plugins = {}) {
    return testing::ClassifyText(*stub_, text, response, plugins, kPatience);
  }

  // Waits until `name` answers a plain document again (its child is back).
  bool ServesAgain(const std::string& name) {
    return Eventually([&] {
      v1::ClassifyResponse response;
      return Classify("x", &response, {name}).ok() &&
             RunCode(response, name) == 0;
    });
  }

  // Sends `texts` on one stream to `plugins` and reads every answer.
  std::vector<v1::ClassifyResponse> StreamAll(
      const std::vector<std::string>& texts,
      const std::vector<std::string>& plugins, grpc::Status* status) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kPatience);
    auto stream = stub_->ClassifyStream(&context);
    std::thread writer([&] {
      v1::ClassifyRequest request;
      for (const std::string& p : plugins) request.add_plugins(p);
      for (size_t i = 0; i < texts.size(); ++i) {
        request.set_id(std::to_string(i));
        request.set_text(texts[i]);
        if (!stream->Write(request)) break;
      }
      stream->WritesDone();
    });
    std::vector<v1::ClassifyResponse> responses;
    v1::ClassifyResponse response;
    while (stream->Read(&response)) responses.push_back(response);
    writer.join();
    *status = stream->Finish();
    return responses;
  }

  testing::TempDir plugins_;
  testing::TempDir files_;  // What plugins try to write.
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::Classifier::Stub> stub_;
};

TEST_F(IsolationTest, AnIsolatedClassifierAnswersLikeTheSamePluginInProcess) {
  const std::string rules =
      "football=sport;goal=sport;stock=finance;bank=finance";
  plugins_.WriteFile("inproc.toml", KeywordManifest(rules));
  plugins_.WriteFile("isolated.toml", kIsolated + KeywordManifest(rules));
  ASSERT_NO_FATAL_FAILURE(Start());

  for (const std::string text : {"football goal", "the bank and the stock",
                                 "nothing here", "goal bank football 中文"}) {
    v1::ClassifyResponse in, iso;
    ASSERT_TRUE(Classify(text, &in, {"inproc"}).ok());
    ASSERT_TRUE(Classify(text, &iso, {"isolated"}).ok());
    EXPECT_EQ(LabelsOf(iso, "isolated", "inproc"), LabelsOf(in)) << text;
    EXPECT_EQ(RunCode(iso, "isolated"), 0) << RunMessage(iso, "isolated");
  }
  // ListPlugins shows what the child reported about its plugin.
  v1::ListPluginsResponse list;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->ListPlugins(&context, {}, &list).ok());
  std::vector<std::string> seen;
  for (const auto& p : list.plugins()) {
    seen.push_back(p.name() + "=" + p.plugin() + "/" + p.version());
  }
  std::sort(seen.begin(), seen.end());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].substr(seen[0].find('=')),
            seen[1].substr(seen[1].find('=')));
}

TEST_F(IsolationTest, ASegfaultMidStreamFailsOnlyThatClassifiersDocuments) {
  plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
  plugins_.WriteFile("crash.toml",
                     IsolatedFaultyManifest("crash_marker = \"CRASH\""));
  ASSERT_NO_FATAL_FAILURE(Start());

  // Four streams that only use `rules`, and one that uses both and
  // carries the crashing document in its middle.
  constexpr int kDocuments = 150;
  std::vector<std::string> plain(kDocuments, "x plain");
  std::vector<std::string> mixed(kDocuments, "x mixed");
  mixed[kDocuments / 2] = "x CRASH";
  std::vector<std::vector<v1::ClassifyResponse>> answers(5);
  std::vector<grpc::Status> statuses(5);
  std::vector<std::thread> streams;
  for (int s = 0; s < 5; ++s) {
    streams.emplace_back([&, s] {
      answers[s] = s < 4 ? StreamAll(plain, {"rules"}, &statuses[s])
                         : StreamAll(mixed, {}, &statuses[s]);
    });
  }
  for (std::thread& t : streams) t.join();

  for (int s = 0; s < 5; ++s) {
    EXPECT_TRUE(statuses[s].ok()) << statuses[s].error_message();
    ASSERT_EQ(answers[s].size(), static_cast<size_t>(kDocuments)) << s;
  }
  for (int s = 0; s < 4; ++s) {
    for (const auto& r : answers[s]) {
      EXPECT_EQ(r.error().code(), 0);
      EXPECT_EQ(RunCode(r, "rules"), 0);
    }
  }
  // The crashing document and those in flight with it or sent while the
  // child restarted fail, with a status that says so; the first documents
  // were answered before the crash.
  EXPECT_EQ(RunCode(answers[4][0], "crash"), 0);
  const v1::ClassifyResponse& fatal = answers[4][kDocuments / 2];
  EXPECT_EQ(RunCode(fatal, "crash"), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(RunMessage(fatal, "crash"),
              HasSubstr("classifier 'crash''s process crashed (signal 11"));
  for (const auto& r : answers[4]) {
    EXPECT_EQ(r.error().code(), 0) << r.error().message();
    EXPECT_EQ(RunCode(r, "rules"), 0);  // The other classifier answered.
    if (RunCode(r, "crash") == 0) continue;
    EXPECT_EQ(RunCode(r, "crash"), grpc::StatusCode::UNAVAILABLE);
    EXPECT_THAT(RunMessage(r, "crash"),
                HasSubstr("process crashed (signal 11"));
    EXPECT_THAT(RunMessage(r, "crash"), HasSubstr("restarting"));
  }
  EXPECT_TRUE(ServesAgain("crash"));
  EXPECT_TRUE(daemon_->WaitForLog("process restarted", kPatience));
}

TEST_F(IsolationTest, ExitInTheChildIsAnErrorForItsDocumentsOnly) {
  plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
  plugins_.WriteFile("quits.toml",
                     IsolatedFaultyManifest("exit_marker = \"EXIT\""));
  ASSERT_NO_FATAL_FAILURE(Start());

  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify("x EXIT", &response).ok());
  EXPECT_EQ(RunCode(response, "rules"), 0);
  EXPECT_EQ(RunCode(response, "quits"), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(RunMessage(response, "quits"),
              HasSubstr("process exited with status 0; restarting"));
  EXPECT_TRUE(ServesAgain("quits"));
  EXPECT_TRUE(daemon_->WaitForHealth(true, std::chrono::seconds(10)));
}

TEST_F(IsolationTest, AHangingChildIsKilledAtTheTimeLimitAndRestarted) {
  plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
  plugins_.WriteFile(
      "hangs.toml",
      IsolatedFaultyManifest("hang_marker = \"HANG\"", "timeout_ms = 1000\n"));
  ASSERT_NO_FATAL_FAILURE(Start());

  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify("x HANG", &response).ok());
  EXPECT_EQ(RunCode(response, "rules"), 0);
  EXPECT_EQ(RunCode(response, "hangs"), grpc::StatusCode::DEADLINE_EXCEEDED)
      << RunMessage(response, "hangs");
  // The plugin never returns by itself: only a killed and restarted child
  // can answer again.
  EXPECT_TRUE(daemon_->WaitForLog("did not answer within 1000 ms", kPatience))
      << daemon_->Log();
  EXPECT_TRUE(ServesAgain("hangs"));
}

TEST_F(IsolationTest, ADocumentThatCrashedTheChildTwiceIsRefused) {
  plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
  plugins_.WriteFile("crash.toml",
                     IsolatedFaultyManifest("crash_marker = \"POISON\""));
  ASSERT_NO_FATAL_FAILURE(Start());

  v1::ClassifyResponse response;
  for (int death = 1; death <= 2; ++death) {
    ASSERT_TRUE(ServesAgain("crash"));
    ASSERT_TRUE(Classify("x POISON", &response).ok());
    EXPECT_EQ(RunCode(response, "crash"), grpc::StatusCode::UNAVAILABLE);
    EXPECT_THAT(RunMessage(response, "crash"), HasSubstr("crashed"));
  }
  ASSERT_TRUE(ServesAgain("crash"));
  for (int again = 0; again < 3; ++again) {
    ASSERT_TRUE(Classify("x POISON", &response).ok());
    EXPECT_EQ(RunCode(response, "crash"), grpc::StatusCode::INTERNAL);
    EXPECT_THAT(RunMessage(response, "crash"),
                HasSubstr("not given this document again"));
  }
  // No third crash: the child that serves now is the one started after the
  // second, and it still answers.
  v1::ClassifyResponse plain;
  ASSERT_TRUE(Classify("x", &plain).ok());
  EXPECT_EQ(RunCode(plain, "crash"), 0);
  const std::string log = daemon_->Log();
  size_t deaths = 0;
  for (size_t at = log.find("in flight; restarting"); at != std::string::npos;
       at = log.find("in flight; restarting", at + 1)) {
    ++deaths;
  }
  EXPECT_EQ(deaths, 2u);
}

TEST_F(IsolationTest, TheSandboxKeepsTheChildFromCreatingFiles) {
  auto write_options = [&](const std::string& name) {
    return "write_marker = \"WRITE\"\nwrite_file = \"" + files_.path() + "/" +
           name + "\"";
  };
  plugins_.WriteFile("boxed.toml",
                     IsolatedFaultyManifest(write_options("from-boxed")));
  plugins_.WriteFile("free.toml", FaultyManifest(write_options("from-free")));
  ASSERT_NO_FATAL_FAILURE(Start());

  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify("x WRITE", &response).ok());
  // In the daemon the plugin can; in its process it cannot.
  EXPECT_EQ(RunCode(response, "free"), 0);
  EXPECT_TRUE(std::filesystem::exists(files_.path() + "/from-free"));
  EXPECT_EQ(RunCode(response, "boxed"), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(RunMessage(response, "boxed"), "Operation not permitted");
  EXPECT_FALSE(std::filesystem::exists(files_.path() + "/from-boxed"));
  // Refusing is not dying: the same child answers the next document.
  EXPECT_FALSE(daemon_->WaitForLog("in flight; restarting",
                                   std::chrono::milliseconds(0)));
}

// The pids of `parent`'s children (any of its threads may have started them).
std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  const std::string tasks = "/proc/" + std::to_string(parent) + "/task";
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    std::ifstream in(task.path() / "children");
    for (pid_t pid; in >> pid;) children.push_back(pid);
  }
  return children;
}

TEST_F(IsolationTest, RemovingAnIsolatedClassifierStopsItsProcess) {
  plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
  plugins_.WriteFile("boxed.toml", kIsolated + KeywordManifest("x=boxed"));
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::vector<pid_t> children = ChildrenOf(daemon_->pid());
  ASSERT_EQ(children.size(), 1u);
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify("x", &response, {"boxed"}).ok());

  std::filesystem::remove(plugins_.path() + "/boxed.toml");
  EXPECT_TRUE(Eventually([&] { return ChildrenOf(daemon_->pid()).empty(); }));
  EXPECT_TRUE(daemon_->WaitForLog("classifier boxed: generation", kPatience));
  // Told to stop, the child destroyed its instance and exited by itself.
  EXPECT_TRUE(daemon_->WaitForLog(
      "classifier boxed: its process exited with status 0", kPatience))
      << daemon_->Log();
  ASSERT_TRUE(Classify("x", &response).ok());
  EXPECT_EQ(RunCode(response, "rules"), 0);
}

// A plugin may log from threads of its own (plugin.h). Its log lines share
// the socket with the host's replies, so one written while a reply is only
// partly sent would break the reply's frame, and the daemon would kill the
// child as if it had broken the protocol.
TEST_F(IsolationTest, LogLinesFromThePluginsOwnThreadsDoNotBreakItsReplies) {
  // Replies larger than the socket's buffer, so that each is sent in parts:
  // every document gets 8 labels, each with 300 bytes of evidence.
  std::string rules;
  std::string text;
  for (char c = 'a'; c < 'i'; ++c) {
    const std::string keyword(300, c);
    rules += (rules.empty() ? "" : ";") + keyword + "=" + c;
    text += keyword;
  }
  plugins_.WriteFile("chatty.toml",
                     kIsolated + KeywordManifest(rules, "log_every_us = 50"));
  // The plugin's debug lines are not written to the daemon's log.
  ASSERT_NO_FATAL_FAILURE(Start({"--log-level", "info"}));
  const std::vector<std::string> texts(3000, text);
  grpc::Status status;
  const auto responses = StreamAll(texts, {"chatty"}, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(responses.size(), texts.size());
  int failed = 0;
  for (const v1::ClassifyResponse& response : responses) {
    if (RunCode(response, "chatty") != 0) ++failed;
  }
  EXPECT_EQ(failed, 0) << RunMessage(responses.back(), "chatty");
  EXPECT_THAT(daemon_->Log(), Not(HasSubstr("broke the protocol")));
}

TEST_F(IsolationTest, ACrashWhileLoadingFailsThatLoadNotTheDaemon) {
  plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
  plugins_.WriteFile("boom.toml",
                     IsolatedFaultyManifest("crash_in_create = true"));
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_TRUE(daemon_->WaitForLog(
      "its process crashed (signal 11, Segmentation fault) while loading the "
      "plugin",
      kPatience));
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify("x", &response).ok());
  EXPECT_EQ(RunCode(response, "rules"), 0);
  EXPECT_EQ(RunCode(response, "boom"), -1);  // Never published.
}

TEST_F(IsolationTest, AnUnknownIsolationValueIsAClearLoadError) {
  plugins_.WriteFile("odd.toml",
                     "isolation = \"container\"\n" + KeywordManifest("x=ex"));
  plugins_.WriteFile("rules.toml", KeywordManifest("x=ex"));
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_TRUE(daemon_->WaitForLog(
      "`isolation` must be \"in-process\" (the default) or \"process\"",
      kPatience));
}

}  // namespace
}  // namespace classifyd
