// End-to-end tests of classifyctl: the real binary, run as a subprocess the
// way a user or a script runs it, against the real daemon with the
// deterministic keyword plugin. Checks what scripts depend on: stdout,
// stderr and the documented exit codes, on success and on every error path.
#include <absl/strings/str_join.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "classifyd/v1/admin.pb.h"
#include "classifyd/v1/classifier.pb.h"
#include "testing/child_process.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using testing::DaemonProcess;
using ::testing::HasSubstr;
using testing::KeywordManifest;
using ::testing::Not;

constexpr char kRules[] = "地震=disaster;股=finance;球=sports";

using CtlResult = testing::ProgramResult;

// classifyctl with `args`, ignoring CLASSIFYD_ADDR from the test's own
// environment (it would change classifyctl's default address).
std::unique_ptr<testing::ChildProcess> StartCtl(
    std::vector<std::string> args, const std::string& input,
    const std::map<std::string, std::string>& env = {}, int stdin_fd = -1) {
  args.insert(args.begin(), CLASSIFYCTL_BINARY);
  testing::ChildOptions options;
  options.env = env;
  options.unset_env = {"CLASSIFYD_ADDR"};
  options.stdin_fd = stdin_fd;
  options.stdin_text = input;
  return std::make_unique<testing::ChildProcess>(args, options);
}

CtlResult RunCtl(const std::vector<std::string>& args,
                 const std::string& input = "",
                 const std::map<std::string, std::string>& env = {}) {
  return StartCtl(args, input, env)->Wait(std::chrono::seconds(120));
}

template <typename Message>
Message ParseJson(const std::string& json) {
  Message message;
  const auto status =
      google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return message;
}

double Number(const google::protobuf::Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  EXPECT_NE(it, object.fields().end()) << key;
  return it == object.fields().end() ? -1 : it->second.number_value();
}

class ClassifyctlTest : public ::testing::Test {
 protected:
  void StartWith(const std::map<std::string, std::string>& manifests,
                 const std::vector<std::string>& args = {},
                 bool wait_serving = true) {
    for (const auto& [name, text] : manifests) plugins_.WriteFile(name, text);
    daemon_ = DaemonProcess::Start(plugins_.path(), args, wait_serving);
    ASSERT_NE(daemon_, nullptr);
  }

  // classifyctl pointed at the test daemon.
  std::vector<std::string> Args(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--addr", daemon_->address(), "--admin-socket",
                               daemon_->admin_socket()});
    return args;
  }
  CtlResult Ctl(std::vector<std::string> args, const std::string& input = "") {
    return RunCtl(Args(std::move(args)), input);
  }

  testing::TempDir plugins_;
  std::unique_ptr<DaemonProcess> daemon_;
};

// --- classify ----------------------------------------------------------------

TEST_F(ClassifyctlTest, ClassifyShowsOtherClassifiersThatAgreed) {
  ASSERT_NO_FATAL_FAILURE(StartWith(
      {{"rules.toml", KeywordManifest(kRules)},
       {"backup.toml", KeywordManifest("地震=disaster", "score = 0.5")}}));
  CtlResult run = Ctl({"classify", "四川发生地震"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  const auto lines = run.OutLines();
  ASSERT_EQ(lines.size(), 4u) << run.out;  // Header, 2 rows, language.
  EXPECT_THAT(lines[1], AllOf(HasSubstr("disaster"), HasSubstr("0.900"),
                              HasSubstr("rules"), HasSubstr("地震")));
  EXPECT_THAT(lines[2], AllOf(Not(HasSubstr("disaster")), HasSubstr("0.500"),
                              HasSubstr("also: backup"), HasSubstr("地震")));
}

TEST_F(ClassifyctlTest, ClassifyPrintsATableOrJson) {
  ASSERT_NO_FATAL_FAILURE(StartWith({{"rules.toml", KeywordManifest(kRules)}}));

  CtlResult run = Ctl({"classify", "四川发生地震"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  const auto lines = run.OutLines();
  ASSERT_EQ(lines.size(), 3u) << run.out;
  EXPECT_THAT(lines[0], AllOf(HasSubstr("LABEL"), HasSubstr("SCORE"),
                              HasSubstr("CLASSIFIER"), HasSubstr("EVIDENCE")));
  EXPECT_THAT(lines[1], AllOf(HasSubstr("disaster"), HasSubstr("0.900"),
                              HasSubstr("rules"), HasSubstr("地震")));
  EXPECT_EQ(lines[2], "language: zh-Hans");
  EXPECT_EQ(run.err, "");

  run = Ctl({"classify", "--json", "地震后股市下跌"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  auto response = ParseJson<v1::ClassifyResponse>(run.out);
  ASSERT_EQ(response.labels_size(), 2);
  EXPECT_EQ(response.labels(0).plugin(), "rules");
  EXPECT_EQ(response.classifiers_size(), 1);
  EXPECT_EQ(response.error().code(), 0);

  // The same document from a file and from stdin.
  const std::string file = plugins_.WriteFile("doc.txt", "足球比赛");
  for (const CtlResult& r : {Ctl({"classify", "--json", "--file", file}),
                             Ctl({"classify", "--json"}, "足球比赛")}) {
    ASSERT_EQ(r.exit_code, 0) << r.Show();
    response = ParseJson<v1::ClassifyResponse>(r.out);
    ASSERT_EQ(response.labels_size(), 1) << r.out;
    EXPECT_EQ(response.labels(0).name(), "sports");
    EXPECT_EQ(response.labels(0).evidence(0), "球");
  }

  // Request options reach the server.
  run = Ctl({"classify", "--json", "--top-k", "1", "地震后股市下跌"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_EQ(ParseJson<v1::ClassifyResponse>(run.out).labels_size(), 1);
  // Under --min-score the best label still comes, flagged.
  run = Ctl({"classify", "--min-score", "0.95", "地震"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.out, AllOf(HasSubstr("disaster"),
                             HasSubstr("(low confidence: no label reached "
                                       "the minimum score, 0.950")));
  run = Ctl({"classify", "--json", "--min-score", "0.95", "地震"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.out, HasSubstr("\"lowConfidence\":true"));
  response = ParseJson<v1::ClassifyResponse>(run.out);
  ASSERT_EQ(response.labels_size(), 1);
  EXPECT_TRUE(response.labels(0).low_confidence());
  // No label at all is not a guess.
  run = Ctl({"classify", "--min-score", "0.95", "天气"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.out, HasSubstr("no label: no classifier gave"));
  EXPECT_THAT(run.out, Not(HasSubstr("low confidence")));
  run = Ctl({"classify", "--plugin", "rules", "地震"});
  EXPECT_EQ(run.exit_code, 0) << run.Show();
  run = Ctl({"classify", "--language", "zh-hant", "地震"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.OutLines(), Contains("language: zh-Hant"));
  run = Ctl({"classify", "--language", "zh_Hant", "地震"});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("language 'zh_Hant' is not a well-formed"));

  // --addr from the environment, and global flags after the subcommand.
  run = RunCtl({"classify", "地震"}, "",
               {{"CLASSIFYD_ADDR", daemon_->address()}});
  EXPECT_EQ(run.exit_code, 0) << run.Show();
  run = RunCtl({"classify", "地震", "--addr", daemon_->address()});
  EXPECT_EQ(run.exit_code, 0) << run.Show();
}

TEST_F(ClassifyctlTest, ClassifyReportsTheServersErrorWithExitCode1) {
  ASSERT_NO_FATAL_FAILURE(StartWith({{"rules.toml", KeywordManifest(kRules)}}));

  CtlResult run = Ctl({"classify", ""});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err,
              AllOf(HasSubstr("INVALID_ARGUMENT"), HasSubstr("empty")));
  EXPECT_EQ(run.out, "");

  run = Ctl({"classify", "--file", "/dev/null"});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("empty"));

  run = Ctl({"classify", "--plugin", "nope", "地震"});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, AllOf(HasSubstr("NOT_FOUND"),
                             HasSubstr("unknown classifier 'nope'")));

  run = Ctl({"classify", "--top-k", "1000", "地震"});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("INVALID_ARGUMENT"));
}

TEST_F(ClassifyctlTest, ClassifyAndPluginsShowLanguages) {
  // sib200_topic test.tsv (FLORES-200), index_id 558: eng_Latn, zho_Hant.
  constexpr char kEnglish[] =
      "The nucleus consists of two particles - neutrons and protons.";
  constexpr char kTraditional[] = "原子核由中子和質子兩種粒子組成。";
  ASSERT_NO_FATAL_FAILURE(StartWith(
      {{"zh.toml", "languages = [\"zh\"]\n" + KeywordManifest("原子=science")},
       {"any.toml", KeywordManifest("nucleus=science")}}));

  CtlResult run = Ctl({"classify", kTraditional});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.out, HasSubstr("\nlanguage: zh-Hant\n"));

  // The Chinese-only classifier skips English: routing, not a warning.
  run = Ctl({"classify", kEnglish});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.out, HasSubstr("\nlanguage: en\nnot for this language: zh\n"));
  EXPECT_THAT(run.err, Not(HasSubstr("warning")));
  // Asked only of it, the document is refused.
  run = Ctl({"classify", "--plugin", "zh", kEnglish});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("FAILED_PRECONDITION: no classifier covers "
                                 "language 'en' (covered: zh)"));

  run = Ctl({"plugins"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  const auto lines = run.OutLines();
  ASSERT_EQ(lines.size(), 3u) << run.out;
  EXPECT_THAT(lines[1], AllOf(HasSubstr("any"), HasSubstr(" all ")));
  EXPECT_THAT(lines[2], AllOf(HasSubstr("zh "), HasSubstr(" zh ")));
  run = Ctl({"plugins", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.out, HasSubstr("\"languages\":[\"zh\"]"));
}

TEST(ClassifyctlUsageTest, BadUsageExits2AndHelpDocumentsExitCodes) {
  const std::vector<std::vector<std::string>> bad = {
      {},                                            // No subcommand.
      {"frobnicate"},                                // Unknown subcommand.
      {"classify", "--bogus", "x"},                  // Unknown flag.
      {"classify", "x", "--file", "/etc/hostname"},  // Two documents.
      {"classify", "--min-score", "2", "x"},         // Out of range.
      {"classify", "--top-k", "many", "x"},          // Not a number.
      {"classify", "--file", "/nonexistent/doc"},    // Unreadable file.
      {"--timeout", "0", "health"},                  // Not positive.
      {"load"},                                      // NAME is required.
      {"eval"},                                      // FILE is required.
      {"eval", "/nonexistent/file.tsv"},
      {"stream", "/nonexistent/file.jsonl"},
  };
  for (const auto& args : bad) {
    const CtlResult run = RunCtl(args);
    std::string joined;
    for (const auto& a : args) joined += " " + a;
    EXPECT_EQ(run.exit_code, 2) << "classifyctl" << joined << "\n" << run.Show();
    EXPECT_NE(run.err, "") << joined;
  }

  const CtlResult help = RunCtl({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, AllOf(HasSubstr("Exit codes"), HasSubstr("--addr"),
                              HasSubstr("--admin-socket"),
                              HasSubstr("--timeout"), HasSubstr("NOT_SERVING"),
                              HasSubstr("eval"), HasSubstr("stream")));
  EXPECT_EQ(RunCtl({"stream", "--help"}).exit_code, 0);
}

TEST(ClassifyctlUnreachableTest, NoDaemonExits3WithAdvice) {
  const std::string addr = "127.0.0.1:" + std::to_string(testing::UnusedLoopbackPort());
  testing::TempDir files;
  const std::string tsv = files.WriteFile("e.tsv", "disaster\t地震\n");
  const std::vector<std::vector<std::string>> commands = {
      {"classify", "地震"}, {"plugins"}, {"health"}, {"eval", tsv}, {"stream"},
  };
  for (auto args : commands) {
    args.insert(args.begin(), {"--addr", addr});
    const CtlResult run = RunCtl(args, "{\"text\": \"地震\"}\n");
    EXPECT_EQ(run.exit_code, 3) << args[2] << "\n" << run.Show();
    EXPECT_THAT(run.err, AllOf(HasSubstr("cannot connect to " + addr),
                               HasSubstr("is classifyd running?"),
                               HasSubstr("./run.sh")))
        << args[2];
  }
  const CtlResult run =
      RunCtl({"--admin-socket", files.path() + "/no/admin.sock", "reload"});
  EXPECT_EQ(run.exit_code, 3) << run.Show();
  EXPECT_THAT(run.err, AllOf(HasSubstr("cannot connect to the admin socket " +
                                       files.path() + "/no/admin.sock"),
                             HasSubstr("--admin-socket")));
}

// --- plugins, health, admin
// -----------------------------------------------------

TEST_F(ClassifyctlTest, PluginsListsReadyAndFailedClassifiers) {
  ASSERT_NO_FATAL_FAILURE(StartWith(
      {{"rules.toml", KeywordManifest(kRules)},
       {"broken.toml", KeywordManifest("x=ex", "fail_create = \"true\"")}}));

  CtlResult run = Ctl({"plugins"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  const auto lines = run.OutLines();
  ASSERT_EQ(lines.size(), 4u) << run.out;  // Header, 2 rows, 1 error.
  EXPECT_THAT(lines[0],
              AllOf(HasSubstr("NAME"), HasSubstr("STATE"), HasSubstr("GEN"),
                    HasSubstr("PLUGIN"), HasSubstr("LANGUAGES"),
                    HasSubstr("LABELS")));
  EXPECT_THAT(lines[1], AllOf(HasSubstr("broken"), HasSubstr("FAILED")));
  // The public listing gives no reason; the admin socket does.
  EXPECT_THAT(lines[2], HasSubstr("error: the classifier failed to load"));
  EXPECT_THAT(run.out, Not(HasSubstr("fail_create")));
  EXPECT_THAT(lines[3], AllOf(HasSubstr("rules"), HasSubstr("READY"),
                              HasSubstr("keyword 1.2.3"), HasSubstr(" all "),
                              HasSubstr("disaster,finance,sports")));

  run = Ctl({"plugins", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  const auto list = ParseJson<v1::ListPluginsResponse>(run.out);
  ASSERT_EQ(list.plugins_size(), 2);
  EXPECT_EQ(list.plugins(1).name(), "rules");
  EXPECT_EQ(list.plugins(1).state(), v1::PluginInfo::READY);
  EXPECT_EQ(list.plugins(1).generation(), 1u);
  EXPECT_EQ(list.plugins(0).state(), v1::PluginInfo::FAILED);
  EXPECT_EQ(list.plugins(1).library_path(), "");

  run = Ctl({"plugins", "--admin"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.OutLines().at(2), HasSubstr("fail_create is set"));
  run = Ctl({"plugins", "--admin", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  const auto admin_list = ParseJson<v1::ListPluginsResponse>(run.out);
  ASSERT_EQ(admin_list.plugins_size(), 2);
  EXPECT_THAT(admin_list.plugins(1).library_path(), HasSubstr("keyword.so"));
  EXPECT_EQ(admin_list.plugins(0).manifest_path(),
            plugins_.path() + "/broken.toml");
}

TEST_F(ClassifyctlTest, PluginsShowsCallsPastTheirTimeLimit) {
  testing::TempDir files;
  const std::string release = files.path() + "/release";
  ASSERT_NO_FATAL_FAILURE(StartWith(
      {{"rules.toml", KeywordManifest(kRules)},
       {"hang.toml", "plugin = \"" + testing::TestPluginDir() +
                         "/crash_hang.so\"\ntimeout_ms = 1000\n[options]\n"
                         "label = \"faulty\"\nhang_marker = \"HANG\"\n"
                         "release_file = \"" +
                         release + "\"\n"}}));
  CtlResult run = Ctl({"classify", "HANG 地震"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();  // rules answered.

  run = Ctl({"plugins"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  auto lines = run.OutLines();
  ASSERT_EQ(lines.size(), 4u) << run.out;  // Header, 2 rows, 1 note.
  EXPECT_THAT(lines[1], AllOf(HasSubstr("hang"), HasSubstr("READY")));
  EXPECT_EQ(lines[2],
            "    stuck: 1 call(s) past the time limit have not returned; "
            "skipped until they do (1 timed out in all)");
  EXPECT_THAT(lines[3], HasSubstr("rules"));
  run = Ctl({"plugins", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  auto list = ParseJson<v1::ListPluginsResponse>(run.out);
  ASSERT_EQ(list.plugins_size(), 2);
  EXPECT_EQ(list.plugins(0).stuck_calls(), 1u);
  EXPECT_EQ(list.plugins(0).timed_out_calls(), 1u);

  // Returned: no longer stuck, the count stays.
  { std::ofstream touch(release); }
  for (int i = 0; i < 600; ++i) {
    run = Ctl({"plugins"});
    if (run.out.find("stuck:") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  lines = run.OutLines();
  ASSERT_EQ(lines.size(), 4u) << run.out;
  EXPECT_EQ(lines[2], "    timed out: 1 call(s) in all, none stuck now");
}

TEST_F(ClassifyctlTest, HealthIsServingOrNotServingWithExitCode4) {
  ASSERT_NO_FATAL_FAILURE(StartWith({{"rules.toml", KeywordManifest(kRules)}}));
  CtlResult run = Ctl({"health"});
  EXPECT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_EQ(run.out, "SERVING\n");
  run = Ctl({"health", "--service", "classifyd.v1.Classifier"});
  EXPECT_EQ(run.exit_code, 0) << run.Show();
  run = Ctl({"health", "--service", "no.such.Service"});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("NOT_FOUND"));
}

TEST_F(ClassifyctlTest, HealthOfOneClassifierByItsName) {
  ASSERT_NO_FATAL_FAILURE(StartWith(
      {{"rules.toml", KeywordManifest(kRules)},
       {"broken.toml", "plugin = \"/nonexistent/nothing.so\"\n"}}));
  CtlResult run = Ctl({"health", "--service", "rules"});
  EXPECT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_EQ(run.out, "SERVING\n");
  run = Ctl({"health", "--service", "classifyd.v1.Classifier/rules"});
  EXPECT_EQ(run.exit_code, 0) << run.Show();
  run = Ctl({"health", "--service", "broken"});
  EXPECT_EQ(run.exit_code, 4) << run.Show();
  EXPECT_EQ(run.out, "NOT_SERVING\n");
  EXPECT_THAT(run.err, HasSubstr("'broken' is not ready"));
  run = Ctl({"health", "--service", "nosuch"});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("NOT_FOUND"));
}

TEST_F(ClassifyctlTest, NoReadyClassifierIsNotServing) {
  ASSERT_NO_FATAL_FAILURE(StartWith({}, {}, /*wait_serving=*/false));
  ASSERT_TRUE(daemon_->WaitForHealth(false, std::chrono::seconds(30)));
  CtlResult run = Ctl({"health"});
  EXPECT_EQ(run.exit_code, 4) << run.Show();
  EXPECT_EQ(run.out, "NOT_SERVING\n");
  EXPECT_THAT(run.err, HasSubstr("no classifier is ready"));

  // The server answers UNAVAILABLE itself: exit 3, but not "cannot connect".
  run = Ctl({"classify", "地震"});
  EXPECT_EQ(run.exit_code, 3) << run.Show();
  EXPECT_THAT(run.err, AllOf(HasSubstr("unavailable"),
                             HasSubstr("no classifier is ready"),
                             Not(HasSubstr("cannot connect"))));
  run = Ctl({"plugins"});
  EXPECT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.out, HasSubstr("no classifiers"));
}

TEST_F(ClassifyctlTest, ReloadLoadAndUnloadGoThroughTheAdminSocket) {
  ASSERT_NO_FATAL_FAILURE(StartWith({{"rules.toml", KeywordManifest(kRules)}},
                                    {"--watch", "false"}));

  CtlResult run = Ctl({"reload"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.out, HasSubstr("loaded 0, failed 0, removed 0"));
  EXPECT_THAT(run.out, AllOf(HasSubstr("rules"), HasSubstr("READY")));

  run = Ctl({"reload", "rules"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.out, HasSubstr("loaded 1, failed 0, removed 0"));
  run = Ctl({"reload", "--json", "rules"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  const auto reloaded = ParseJson<v1::ReloadResponse>(run.out);
  EXPECT_EQ(reloaded.loaded(), 1);
  ASSERT_EQ(reloaded.plugins_size(), 1);
  EXPECT_EQ(reloaded.plugins(0).generation(), 3u);

  run = Ctl({"unload", "rules"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.out, HasSubstr("loaded 0, failed 0, removed 1"));
  EXPECT_EQ(Ctl({"health"}).exit_code, 4);

  run = Ctl({"load", "rules"});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.out, HasSubstr("loaded 1, failed 0, removed 0"));
  EXPECT_EQ(Ctl({"health"}).exit_code, 0);

  run = Ctl({"load", "ghost"});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.err, AllOf(HasSubstr("NOT_FOUND"), HasSubstr("ghost")));

  // A manifest that fails to load: reported, counted, exit 1.
  plugins_.WriteFile("bad.toml",
                     KeywordManifest("x=ex", "fail_create = \"true\""));
  run = Ctl({"reload"});
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.out,
              AllOf(HasSubstr("loaded 0, failed 1, removed 0"),
                    HasSubstr("FAILED"), HasSubstr("fail_create is set")));
  EXPECT_THAT(run.err, HasSubstr("failed"));
}

TEST_F(ClassifyctlTest, DefaultAdminSocketIsTheDaemonsDefault) {
  // The daemon picks its own default socket in the runtime directory; the
  // client, given the same $RUNTIME_DIRECTORY and no --admin-socket, must
  // find it.
  testing::TempDir runtime;
  ASSERT_NO_FATAL_FAILURE(
      StartWith({{"rules.toml", KeywordManifest(kRules)}},
                {"--runtime-dir", runtime.path(), "--admin-socket", ""}));
  CtlResult run =
      RunCtl({"reload"}, "", {{"RUNTIME_DIRECTORY", runtime.path()}});
  EXPECT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.out, HasSubstr("loaded 0, failed 0, removed 0"));
  run = RunCtl({"reload"}, "",
               {{"RUNTIME_DIRECTORY", ""}, {"TMPDIR", runtime.path()}});
  EXPECT_EQ(run.exit_code, 0) << run.Show();

  // The directory of a daemon that was killed, newer than the live one's:
  // its socket file is still there, its pid is gone.
  const std::string dead = runtime.path() + "/classifyd-" +
                           std::to_string(geteuid()) + "-zzzzzz";
  ASSERT_EQ(mkdir(dead.c_str(), 0700), 0);
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  const std::string socket_path = dead + "/admin.sock";
  ASSERT_LT(socket_path.size(), sizeof address.sun_path);
  std::strcpy(address.sun_path, socket_path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  close(fd);
  const pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, nullptr, 0);
  std::ofstream(dead + "/classifyd.pid") << gone << " 1\n";
  run = RunCtl({"reload"}, "", {{"RUNTIME_DIRECTORY", runtime.path()}});
  EXPECT_EQ(run.exit_code, 0) << run.Show();

  // No daemon running: the message says where it looked.
  daemon_->Signal(SIGTERM);
  ASSERT_TRUE(daemon_->WaitForExit(std::chrono::seconds(30)).has_value());
  run = RunCtl({"reload"}, "", {{"RUNTIME_DIRECTORY", runtime.path()}});
  EXPECT_EQ(run.exit_code, 3) << run.Show();
  EXPECT_THAT(run.err, HasSubstr(runtime.path() + "/classifyd-" +
                                 std::to_string(geteuid()) + "-*/admin.sock"));
}

// Two daemons of one user with default admin sockets: the admin commands
// reach the one --addr names, even when the other started later, and a
// socket of another daemon is refused (or, without --addr, named).
TEST(ClassifyctlAdminSocketTest, AdminCommandsReachTheDaemonOfAddr) {
  testing::TempDir runtime;
  testing::TempDir plugins_a;
  testing::TempDir plugins_b;
  plugins_a.WriteFile("a.toml", KeywordManifest(kRules));
  plugins_b.WriteFile("b.toml", KeywordManifest(kRules));
  const std::vector<std::string> defaults = {"--runtime-dir", runtime.path(),
                                             "--admin-socket", ""};
  auto a = DaemonProcess::Start(plugins_a.path(), defaults);
  ASSERT_NE(a, nullptr);
  auto b = DaemonProcess::Start(plugins_b.path(), defaults);  // The newest.
  ASSERT_NE(b, nullptr);
  const std::map<std::string, std::string> env = {{"RUNTIME_DIRECTORY", ""},
                                                  {"TMPDIR", runtime.path()}};
  // `a` is only in daemon a: unloading it succeeds only there.
  CtlResult run = RunCtl({"--addr", a->address(), "unload", "a"}, "", env);
  EXPECT_EQ(run.exit_code, 0) << run.Show();

  // b's socket, found as the default without --addr: used, and named.
  run = RunCtl({"reload"}, "", env);
  EXPECT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("the daemon's on " + b->address()));
  const std::string b_socket =
      run.err.substr(run.err.find("admin socket ") + 13,
                     run.err.find(" is the daemon's") -
                         (run.err.find("admin socket ") + 13));

  // b's socket with a's --addr: refused, saying whose it is.
  run = RunCtl({"--addr", a->address(), "--admin-socket", b_socket, "reload"},
               "", env);
  EXPECT_EQ(run.exit_code, 2) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("belongs to the daemon listening on " +
                                 b->address() + ", not to --addr " +
                                 a->address()));
}

// --- stream
// --------------------------------------------------------------------

TEST_F(ClassifyctlTest, StreamAnswersEveryLineInOrderAndGoesOnAfterBadOnes) {
  ASSERT_NO_FATAL_FAILURE(StartWith({{"rules.toml", KeywordManifest(kRules)}}));
  const std::string input =
      "{\"id\": \"a\", \"text\": \"地震\"}\n"
      "{\"text\": \"股市\"}\n"             // No id: line number.
      "this is not json\n"                 // Bad line.
      "\n"                                 // Blank line.
      "{\"id\": \"e\", \"text\": \"\"}\n"  // Server rejects it.
      "{\"id\": \"f\", \"text\": \"地震股\", \"topK\": 1}\n"
      "{\"id\": \"g\", \"text\": \"x\", \"colour\": 1}\n"  // Unknown field.
      "{\"id\": \"h\", \"text\": \"足球\", \"min_score\": 0.95}\n"
      "{\"id\": \"last\", \"text\": \"股\"}";  // No final newline.
  CtlResult run = Ctl({"stream"}, input);
  EXPECT_EQ(run.exit_code, 1) << run.Show();  // Some documents failed.
  const auto lines = run.OutLines();
  ASSERT_EQ(lines.size(), 9u) << run.out;
  std::vector<v1::ClassifyResponse> out;
  for (const auto& line : lines)
    out.push_back(ParseJson<v1::ClassifyResponse>(line));
  const char* ids[] = {"a", "2", "3", "4", "e", "f", "7", "h", "last"};
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].id(), ids[i]);
  EXPECT_EQ(out[0].labels(0).name(), "disaster");
  EXPECT_EQ(out[1].labels(0).name(), "finance");
  EXPECT_EQ(out[2].error().code(), 3);
  EXPECT_THAT(out[2].error().message(), HasSubstr("line 3"));
  EXPECT_EQ(out[3].error().code(), 3);
  EXPECT_THAT(out[3].error().message(), HasSubstr("empty line"));
  EXPECT_EQ(out[4].error().code(), 3);
  EXPECT_THAT(out[4].error().message(), HasSubstr("empty"));
  EXPECT_EQ(out[5].labels_size(), 1);  // topK from the line.
  EXPECT_EQ(out[6].error().code(), 3);
  EXPECT_THAT(out[6].error().message(), HasSubstr("colour"));
  EXPECT_EQ(out[7].error().code(), 0);
  // min_score from the line: the one label is a best guess under it.
  ASSERT_EQ(out[7].labels_size(), 1);
  EXPECT_TRUE(out[7].labels(0).low_confidence());
  EXPECT_THAT(lines[7], HasSubstr("\"lowConfidence\":true"));
  EXPECT_FALSE(out[0].labels(0).low_confidence());
  EXPECT_EQ(out[8].labels(0).name(), "finance");
  EXPECT_THAT(run.err, HasSubstr("9 documents, 4 errors"));
  EXPECT_THAT(run.err, HasSubstr("docs/s"));
  // Not a terminal: no progress line.
  EXPECT_THAT(run.err, Not(HasSubstr("\r")));

  // Lenient about unknown fields when asked; all good: exit 0.
  run = Ctl({"stream", "--ignore-unknown-fields"},
            "{\"id\": \"g\", \"text\": \"地震\", \"colour\": 1}\n");
  EXPECT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("1 documents, 0 errors"));
}

TEST_F(ClassifyctlTest, StreamTextLinesAndDefaultOptions) {
  ASSERT_NO_FATAL_FAILURE(
      StartWith({{"rules.toml", KeywordManifest(kRules)},
                 {"other.toml", KeywordManifest("地=place")}}));
  const std::string file =
      plugins_.WriteFile("docs.txt", "地震\r\n\n地震股市\n");
  CtlResult run = Ctl(
      {"stream", "--text-lines", "--plugin", "rules", "--top-k", "1", file});
  EXPECT_EQ(run.exit_code, 1) << run.Show();  // The blank line is an error.
  const auto lines = run.OutLines();
  ASSERT_EQ(lines.size(), 3u) << run.out;
  const auto first = ParseJson<v1::ClassifyResponse>(lines[0]);
  EXPECT_EQ(first.id(), "1");
  ASSERT_EQ(first.labels_size(), 1);
  EXPECT_EQ(first.labels(0).name(), "disaster");  // "\r" stripped, rules only.
  ASSERT_EQ(first.classifiers_size(), 1);
  EXPECT_EQ(first.classifiers(0).name(), "rules");
  EXPECT_EQ(ParseJson<v1::ClassifyResponse>(lines[1]).error().code(), 3);
  EXPECT_EQ(ParseJson<v1::ClassifyResponse>(lines[2]).labels_size(), 1);

  // A line's own options win over the defaults.
  run = Ctl({"stream", "--plugin", "rules"},
            "{\"text\": \"地震\", \"plugins\": [\"other\"]}\n");
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_EQ(ParseJson<v1::ClassifyResponse>(run.out).labels(0).name(), "place");
}

// Windows down to one document, and smaller than a message: the input
// side waits for room and is woken as answers are taken; no document may be
// lost, reordered or left waiting.
TEST_F(ClassifyctlTest, StreamManyDocumentsThroughSmallWindows) {
  ASSERT_NO_FATAL_FAILURE(StartWith({{"rules.toml", KeywordManifest(kRules)}}));
  const struct {
    std::vector<std::string> flags;
    int documents;
  } runs[] = {
      {{"--window", "16"}, 20000},
      {{"--window", "1"}, 500},
      {{"--window", "3", "--batch", "2"}, 2000},
      {{"--window", "100", "--batch", "64"}, 5000},
  };
  const char* texts[] = {"地震", "股市", "足球", "天气"};
  const char* labels[] = {"disaster", "finance", "sports", nullptr};
  for (const auto& [flags, documents] : runs) {
    SCOPED_TRACE(absl::StrJoin(flags, " "));
    std::string input;
    for (int i = 0; i < documents; ++i) {
      input += "{\"id\": \"d" + std::to_string(i) + "\", \"text\": \"" +
               texts[i % 4] + std::to_string(i) + "\"}\n";
    }
    std::vector<std::string> args = {"stream"};
    args.insert(args.end(), flags.begin(), flags.end());
    const CtlResult run = Ctl(args, input);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto lines = run.OutLines();
    ASSERT_EQ(lines.size(), static_cast<size_t>(documents));
    for (int i = 0; i < documents; ++i) {
      const auto response = ParseJson<v1::ClassifyResponse>(lines[i]);
      // Not "d" + std::to_string(i): GCC 12 -Wrestrict false positive.
      std::ostringstream id;
      id << 'd' << i;
      ASSERT_EQ(response.id(), id.str());
      if (labels[i % 4] == nullptr) {
        ASSERT_EQ(response.labels_size(), 0) << lines[i];
      } else {
        ASSERT_EQ(response.labels_size(), 1) << lines[i];
        ASSERT_EQ(response.labels(0).name(), labels[i % 4]);
      }
    }
    EXPECT_THAT(run.err,
                HasSubstr(std::to_string(documents) + " documents, 0 errors"));
  }
}

TEST_F(ClassifyctlTest, StreamGivesUpWhenTheServerStopsAnswering) {
  ASSERT_NO_FATAL_FAILURE(
      StartWith({{"slow.toml", KeywordManifest(kRules, "sleep_ms = 3000")}}));
  // The documents arrive on a pipe after a pause, so classifyctl's writer
  // thread is already waiting when the first one is sent: the idle clock
  // must start then. The pipe stays open, as with a producer that has gone
  // quiet: classifyctl must still give up and exit, not wait for input.
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  auto ctl = StartCtl(Args({"--timeout", "0.5", "stream"}), "", {}, pipe_fds[0]);
  close(pipe_fds[0]);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string input = "{\"text\": \"地震\"}\n{\"text\": \"股\"}\n";
  ASSERT_EQ(write(pipe_fds[1], input.data(), input.size()),
            static_cast<ssize_t>(input.size()));
  const CtlResult run = ctl->Wait(std::chrono::seconds(20));
  close(pipe_fds[1]);
  EXPECT_EQ(run.exit_code, 3) << run.Show();
  // Gave up 0.5 s after sending, long before the first answer (3 s).
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, HasSubstr("0 documents, 0 errors"));
  EXPECT_THAT(run.err, AllOf(HasSubstr("no answer from " + daemon_->address() +
                                       " for 0.5 s"),
                             HasSubstr("--timeout")));
}

// A producer that has gone quiet with every line answered (tail -f of a
// feed) when the daemon ends the stream: classifyctl says so and exits at
// once rather than when the next line comes, to be lost.
TEST_F(ClassifyctlTest, StreamExits3WhenTheDaemonEndsItWhileTheInputIsQuiet) {
  ASSERT_NO_FATAL_FAILURE(StartWith({{"rules.toml", KeywordManifest(kRules)}},
                                    {"--drain-timeout", "1"}));
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  auto ctl = StartCtl(Args({"stream"}), "", {}, pipe_fds[0]);
  close(pipe_fds[0]);
  const std::string input = "{\"text\": \"地震\"}\n";
  ASSERT_EQ(write(pipe_fds[1], input.data(), input.size()),
            static_cast<ssize_t>(input.size()));
  ASSERT_TRUE(ctl->WaitForOutput(std::chrono::seconds(60)));
  daemon_->Signal(SIGTERM);  // The drain cancels the open stream after 1 s.
  const CtlResult run = ctl->Wait(std::chrono::seconds(30));
  close(pipe_fds[1]);
  EXPECT_EQ(run.exit_code, 3) << run.Show();
  EXPECT_EQ(run.OutLines().size(), 1u) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("the stream ended early")) << run.Show();
}

TEST_F(ClassifyctlTest, StreamExits3WhenTheDaemonDiesMidway) {
  ASSERT_NO_FATAL_FAILURE(
      StartWith({{"slow.toml", KeywordManifest(kRules, "sleep_ms = 1000")}}));
  std::string input;
  for (int i = 0; i < 200; ++i) input += "{\"text\": \"地震\"}\n";
  auto ctl = StartCtl(Args({"stream"}), input);
  // Once the first answer is out (each plugin batch takes a second), the
  // daemon goes away.
  ASSERT_TRUE(ctl->WaitForOutput(std::chrono::seconds(60)));
  daemon_->Signal(SIGKILL);
  const CtlResult run = ctl->Wait(std::chrono::seconds(120));
  EXPECT_EQ(run.exit_code, 3) << run.Show();
  EXPECT_GE(run.OutLines().size(), 1u);
  EXPECT_LT(run.OutLines().size(), 200u);
  EXPECT_THAT(run.err, AllOf(HasSubstr("the stream ended early"),
                             HasSubstr(daemon_->address()),
                             HasSubstr("The output stops after")));
}

// --- eval
// ----------------------------------------------------------------------

// Top labels from kRules: 地震 → disaster, 股 → finance, 球 → sports.
constexpr char kEvalFile[] =
    "# label[,label...]<TAB>text\n"
    "disaster\t昨日地震\n"
    "disaster\t地震之后\n"
    "\n"
    "finance\t股市上涨\n"
    "finance\t银行降息\n"         // No label at all: wrong.
    "finance,sports\t足球联赛\n"  // Any listed label counts.
    "sports\t股票\n";             // finance: wrong.

TEST_F(ClassifyctlTest, EvalReportsAccuracyPerLabelScoresAndConfusions) {
  ASSERT_NO_FATAL_FAILURE(StartWith({{"rules.toml", KeywordManifest(kRules)}}));
  const std::string file = plugins_.WriteFile("eval.tsv", kEvalFile);

  CtlResult run = Ctl({"eval", "--json", file});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  const auto report = ParseJson<google::protobuf::Struct>(run.out);
  EXPECT_EQ(Number(report, "documents"), 6);
  EXPECT_EQ(Number(report, "errors"), 0);
  EXPECT_EQ(Number(report, "correct"), 4);
  EXPECT_NEAR(Number(report, "accuracy"), 4.0 / 6, 1e-5);
  // disaster F1 1, finance 0.5 (P 1/2, R 1/2), sports 2/3 (P 1, R 1/2).
  EXPECT_NEAR(Number(report, "macroF1"), (1 + 0.5 + 2.0 / 3) / 3, 1e-5);
  std::map<std::string, google::protobuf::Struct> labels;
  for (const auto& value : report.fields().at("labels").list_value().values()) {
    labels[value.struct_value().fields().at("label").string_value()] =
        value.struct_value();
  }
  ASSERT_EQ(labels.size(), 3u);
  EXPECT_EQ(Number(labels["disaster"], "f1"), 1);
  EXPECT_EQ(Number(labels["disaster"], "support"), 2);
  EXPECT_EQ(Number(labels["finance"], "precision"), 0.5);
  EXPECT_EQ(Number(labels["finance"], "recall"), 0.5);
  EXPECT_EQ(Number(labels["finance"], "predicted"), 2);
  EXPECT_EQ(Number(labels["sports"], "precision"), 1);
  EXPECT_EQ(Number(labels["sports"], "recall"), 0.5);
  EXPECT_EQ(Number(labels["sports"], "support"), 2);
  const auto& confusions = report.fields().at("confusions").list_value();
  ASSERT_EQ(confusions.values_size(), 2);
  std::map<std::string, std::string> mistake;
  for (const auto& value : confusions.values()) {
    const auto& fields = value.struct_value().fields();
    mistake[fields.at("label").string_value()] =
        fields.at("predictedAs").string_value();
    EXPECT_EQ(fields.at("count").number_value(), 1);
    EXPECT_EQ(fields.at("support").number_value(), 2);
  }
  EXPECT_EQ(mistake["finance"], "");  // No label at all.
  EXPECT_EQ(mistake["sports"], "finance");
  EXPECT_EQ(Number(report, "lowConfidenceDocs"), 0);
  EXPECT_EQ(Number(report, "lowConfidenceShare"), 0);

  run = Ctl({"eval", file});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.out,
              AllOf(HasSubstr("accuracy   0.6667 (4 of 6"),
                    HasSubstr("macro-F1   0.7222"), HasSubstr("PRECISION"),
                    HasSubstr("RECALL"), HasSubstr("SUPPORT"),
                    HasSubstr("most common mistake")));
  bool saw_none = false, saw_finance = false;
  for (const auto& line : run.OutLines()) {
    if (line.rfind("finance ", 0) == 0 && line.find("(none)") != line.npos) {
      saw_none = true;
    }
    if (line.rfind("sports ", 0) == 0 && line.find("finance") != line.npos) {
      saw_finance = true;
    }
  }
  EXPECT_TRUE(saw_none) << run.out;
  EXPECT_TRUE(saw_finance) << run.out;

  // From stdin, in small batches: the same figures.
  run = Ctl({"eval", "--json", "--batch-size", "2", "-"}, kEvalFile);
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_EQ(Number(ParseJson<google::protobuf::Struct>(run.out), "correct"), 4);

  // Over the rules' score (0.9) every top label is a best guess; they are
  // scored all the same, and their share is reported.
  run = Ctl({"eval", "--json", "--min-score", "0.95", file});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  const auto guesses = ParseJson<google::protobuf::Struct>(run.out);
  EXPECT_EQ(Number(guesses, "correct"), 4);
  EXPECT_EQ(Number(guesses, "lowConfidenceDocs"), 5);  // 银行降息: no label.
  EXPECT_NEAR(Number(guesses, "lowConfidenceShare"), 5.0 / 6, 1e-4);
  run = Ctl({"eval", "--min-score", "0.95", file});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.out,
              HasSubstr("low conf.  0.8333 (5 of 6 top labels under the "
                        "minimum score)"));
}

// Every label of a response against every listed label. kRules gives a
// document one label per keyword it holds, each scoring 0.9.
constexpr char kLabelSetFile[] =
    "disaster,finance\t地震后股市下跌\n"  // Both returned.
    "sports,weather\t足球\n"              // One of two found.
    "disaster\t地震后的球赛\n"            // One right, one extra.
    "finance\t银行降息\n";                // None returned.

TEST_F(ClassifyctlTest, EvalScoresEveryReturnedLabel) {
  ASSERT_NO_FATAL_FAILURE(StartWith({{"rules.toml", KeywordManifest(kRules)}}));
  const std::string file = plugins_.WriteFile("sets.tsv", kLabelSetFile);

  CtlResult run = Ctl({"eval", "--json", file});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  auto report = ParseJson<google::protobuf::Struct>(run.out);
  auto sets = report.fields().at("labelSets").struct_value();
  EXPECT_EQ(Number(sets, "returned"), 5);
  EXPECT_EQ(Number(sets, "listed"), 6);
  EXPECT_EQ(Number(sets, "right"), 4);
  EXPECT_EQ(Number(sets, "exact"), 1);
  EXPECT_NEAR(Number(sets, "precision"), 4.0 / 5, 1e-9);
  EXPECT_NEAR(Number(sets, "recall"), 4.0 / 6, 1e-9);
  EXPECT_NEAR(Number(sets, "f1"), 2 * 0.8 * (4.0 / 6) / (0.8 + 4.0 / 6), 1e-9);
  EXPECT_NEAR(Number(sets, "perDocument"), 5.0 / 4, 1e-9);
  EXPECT_NEAR(Number(sets, "exactShare"), 1.0 / 4, 1e-9);

  run = Ctl({"eval", file});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  EXPECT_THAT(run.out,
              AllOf(HasSubstr("labels     1.25 per document: precision "
                              "0.8000, recall 0.6667, F1 0.7273"),
                    HasSubstr("exact sets 0.2500 (1 of 4 documents")));

  // --top-k and --min-score shape the sets as they shape any response.
  run = Ctl({"eval", "--json", "--top-k", "1", file});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  sets = ParseJson<google::protobuf::Struct>(run.out)
             .fields().at("labelSets").struct_value();
  EXPECT_EQ(Number(sets, "returned"), 3);
  EXPECT_EQ(Number(sets, "listed"), 6);
  run = Ctl({"eval", "--json", "--min-score", "0.95", file});
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  sets = ParseJson<google::protobuf::Struct>(run.out)
             .fields().at("labelSets").struct_value();
  EXPECT_EQ(Number(sets, "returned"), 3);  // Only the best guesses.
}

TEST_F(ClassifyctlTest, EvalSendsBatches) {
  // The keyword plugin labels each document with the size of the batch it
  // was classified in (score 1, so it is the top label).
  ASSERT_NO_FATAL_FAILURE(StartWith(
      {{"batch.toml",
        KeywordManifest("zz=never", "report_batch_size = \"true\"")}}));
  std::string tsv;
  for (int i = 0; i < 5; ++i)
    tsv += "batch:3\tdocument " + std::to_string(i) + "\n";
  const CtlResult run = Ctl({"eval", "--json", "--batch-size", "3", "-"}, tsv);
  ASSERT_EQ(run.exit_code, 0) << run.Show();
  const auto report = ParseJson<google::protobuf::Struct>(run.out);
  EXPECT_EQ(Number(report, "correct"), 3);  // Batch of 3, then of 2.
  const auto& confusions = report.fields().at("confusions").list_value();
  ASSERT_EQ(confusions.values_size(), 1);
  EXPECT_EQ(confusions.values(0)
                .struct_value()
                .fields()
                .at("predictedAs")
                .string_value(),
            "batch:2");
}

TEST_F(ClassifyctlTest, EvalFailuresAndMalformedFiles) {
  ASSERT_NO_FATAL_FAILURE(StartWith({{"rules.toml", KeywordManifest(kRules)}}));
  // A document the classifier fails on: reported, not scored, exit 1.
  CtlResult run = Ctl({"eval", "-"}, "disaster\t地震\ndisaster\t地震 FAIL\n");
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  EXPECT_THAT(run.out, HasSubstr("documents  1 (1 errors)"));
  EXPECT_THAT(run.err, AllOf(HasSubstr("stdin:2"), HasSubstr("fail marker")));

  // Not label<TAB>text: exit 2 naming the line.
  run = Ctl({"eval", "-"}, "disaster\t地震\nno tab here\n");
  EXPECT_EQ(run.exit_code, 2) << run.Show();
  EXPECT_THAT(run.err,
              HasSubstr("stdin:2: expected label[,label...]<TAB>text"));
  run = Ctl({"eval", "-"}, ",\t地震\n");
  EXPECT_EQ(run.exit_code, 2) << run.Show();
  run = Ctl({"eval", "-"}, "# only a comment\n");
  EXPECT_EQ(run.exit_code, 2) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("no documents"));
}

}  // namespace
}  // namespace classifyd
