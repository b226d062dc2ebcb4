// The example clients of clients/ (Python, Node, Go), run the way a user
// runs them, against the real daemon serving the bundled fastText model. Each
// streams a file of real headlines with good and bad lines; the test checks
// that every line is answered once, in order, with the labels the daemon
// gives the same text over a direct Classify call, and that bad lines are
// reported without ending the stream.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using testing::DaemonProcess;
using ::testing::HasSubstr;
using testing::KeywordManifest;
using testing::ProgramResult;
using testing::RunProgram;

// The first `n` of the benchmark's real headlines (bench/data/SOURCE.txt).
std::vector<std::string> Headlines(size_t n) {
  std::ifstream in(testing::SourceDir() + "/bench/data/headlines.txt");
  std::vector<std::string> lines;
  for (std::string line; lines.size() < n && std::getline(in, line);) {
    lines.push_back(line);
  }
  EXPECT_EQ(lines.size(), n);
  return lines;
}

// A JSON string literal (the headlines need no escapes beyond these).
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// How to run one example client.
struct Client {
  std::string name;
  std::vector<std::string> command;  // Program and leading arguments.
  std::map<std::string, std::string> env;
  std::string addr_flag;  // Followed by the address.
  std::vector<std::string> short_connect_timeout;
};

Client Python() {
  return {"python",
          {CLASSIFYD_SYSTEM_PYTHON,
           testing::SourceDir() + "/clients/python/classify_stream.py"},
          {{"PYTHONPATH", CLASSIFYD_PYTHON_CLIENT_PATH}},
          "--addr",
          {"--connect-timeout", "2"}};
}

Client Node() {
  return {"node",
          {CLASSIFYD_NODE,
           testing::SourceDir() + "/clients/node/classify_stream.js"},
          {{"NODE_PATH", CLASSIFYD_NODE_MODULES}},
          "--addr",
          {"--connect-timeout", "2"}};
}

Client Go() {
  return {"go", {CLASSIFYD_GO_CLIENT}, {}, "-addr", {"-connect-timeout=2s"}};
}

// Test names and messages show the client by name, not as bytes.
void PrintTo(const Client& client, std::ostream* out) { *out << client.name; }

std::string ClientName(const ::testing::TestParamInfo<Client>& info) {
  return info.param.name;
}

// One daemon for the suite, with two classifiers so that answers merge
// labels from both: the bundled fastText model ("news-topics", real labels
// for real headlines) and the keyword test plugin ("rules").
class StreamClientTest : public ::testing::TestWithParam<Client> {
 protected:
  static void SetUpTestSuite() {
    plugins_ = new testing::TempDir();
    plugins_->WriteFile("news-topics.toml",
                        "plugin = \"fasttext\"\nmodel = \"" +
                            testing::BundledModelPath() + "\"\n");
    plugins_->WriteFile("rules.toml",
                        KeywordManifest("地震=disaster;股=finance;球=sports"));
    daemon_ = DaemonProcess::Start(plugins_->path()).release();
    // Health says SERVING once one classifier is ready; the comparisons
    // below need both.
    if (daemon_ != nullptr && !WaitForReady(2)) {
      ADD_FAILURE() << "classifiers never became ready:\n" << daemon_->Log();
      TearDownTestSuite();
    }
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
    delete plugins_;
    plugins_ = nullptr;
  }

  static bool WaitForReady(int count) {
    auto stub = v1::Classifier::NewStub(daemon_->NewChannel());
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(10));
      v1::ListPluginsResponse response;
      if (stub->ListPlugins(&context, {}, &response).ok() &&
          std::count_if(response.plugins().begin(), response.plugins().end(),
                        [](const v1::PluginInfo& p) {
                          return p.state() == v1::PluginInfo::READY;
                        }) == count) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  void SetUp() override { ASSERT_NE(daemon_, nullptr); }

  ProgramResult Run(const std::vector<std::string>& args,
                    const std::string& addr = "") {
    const Client& client = GetParam();
    std::vector<std::string> argv = client.command;
    argv.push_back(client.addr_flag);
    argv.push_back(addr.empty() ? daemon_->address() : addr);
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProgram(argv, client.env);
  }

  // What the daemon answers for `text` over a direct unary call.
  v1::ClassifyResponse Direct(const std::string& text) {
    auto stub = v1::Classifier::NewStub(daemon_->NewChannel());
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(60));
    v1::ClassifyRequest request;
    request.set_text(text);
    v1::ClassifyResponse response;
    const grpc::Status status = stub->Classify(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  static testing::TempDir* plugins_;
  static DaemonProcess* daemon_;
  testing::TempDir files_;
};

DaemonProcess* StreamClientTest::daemon_ = nullptr;
testing::TempDir* StreamClientTest::plugins_ = nullptr;

Struct ParseLine(const std::string& line) {
  Struct object;
  const auto status =
      google::protobuf::util::JsonStringToMessage(line, &object);
  EXPECT_TRUE(status.ok()) << status.ToString() << ": " << line;
  return object;
}

const Value& Field(const Struct& object, const std::string& key) {
  static const Value kMissing;
  auto it = object.fields().find(key);
  return it == object.fields().end() ? kMissing : it->second;
}

// Checks one output line against what the daemon answers directly.
void ExpectLabelsLike(const Struct& line, const v1::ClassifyResponse& want) {
  EXPECT_EQ(Field(line, "error").kind_case(), Value::KIND_NOT_SET);
  const auto& labels = Field(line, "labels").list_value().values();
  ASSERT_EQ(labels.size(), want.labels_size());
  for (int i = 0; i < labels.size(); ++i) {
    const Struct& got = labels[i].struct_value();
    SCOPED_TRACE("label " + std::to_string(i));
    EXPECT_EQ(Field(got, "name").string_value(), want.labels(i).name());
    EXPECT_EQ(Field(got, "plugin").string_value(), want.labels(i).plugin());
    EXPECT_NEAR(Field(got, "score").number_value(), want.labels(i).score(),
                1e-5);
    EXPECT_GT(Field(got, "score").number_value(), 0.0);
    EXPECT_EQ(Field(got, "low_confidence").bool_value(),
              want.labels(i).low_confidence());
  }
}

TEST_P(StreamClientTest, AnswersEveryLineInOrderAndReportsBadLines) {
  const std::vector<std::string> h = Headlines(8);
  // The id the output must carry; for a good line the text sent, for a bad
  // one (no text) the error code and a part of the error message.
  struct Expected {
    std::string id;
    std::optional<std::string> text;
    int code;
    std::string message;
  };
  auto Good = [](std::string id, std::string text) {
    return Expected{std::move(id), std::move(text), 0, ""};
  };
  auto Bad = [](std::string id, std::string message) {
    return Expected{std::move(id), std::nullopt, 3, std::move(message)};
  };
  const std::vector<std::pair<std::string, Expected>> lines = {
      {"{\"id\": \"h1\", \"text\": " + Quote(h[0]) + "}", Good("h1", h[0])},
      {h[1], Good("2", h[1])},  // Plain text: the id is the line number.
      {"{\"id\": \"h3\", \"text\": " + Quote(h[2]) + "}", Good("h3", h[2])},
      {"{\"id\": \"broken\", \"text\": ", Bad("4", "line 4")},
      {"{\"id\": \"blank\", \"text\": \"   \"}",
       Bad("blank", "only whitespace")},
      {h[3], Good("6", h[3])},
      {"", Bad("7", "line 7")},
      {"{\"id\": 42, \"text\": " + Quote(h[4]) + "}", Good("42", h[4])},
      {"{\"id\": \"h9\", \"text\": " + Quote(h[5]) + "}", Good("h9", h[5])},
      {"{\"id\": \"no-text\"}", Bad("10", "\"text\"")},
      {h[6], Good("11", h[6])},
      {"{\"id\": \"h12\", \"text\": " + Quote(h[7]) + "}", Good("h12", h[7])},
  };
  std::string input;
  for (const auto& [line, expected] : lines) input += line + "\n";
  const std::string file = files_.WriteFile("docs.jsonl", input);

  const ProgramResult run = Run({file});
  EXPECT_EQ(run.exit_code, 1) << run.Show();  // Some documents had errors.
  const std::vector<std::string> out = run.OutLines();
  ASSERT_EQ(out.size(), lines.size()) << run.Show();
  int labelled = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Expected& want = lines[i].second;
    SCOPED_TRACE("input line " + std::to_string(i + 1) + ": " + out[i]);
    const Struct got = ParseLine(out[i]);
    EXPECT_EQ(Field(got, "id").string_value(), want.id);
    if (want.text) {
      const v1::ClassifyResponse direct = Direct(*want.text);
      ExpectLabelsLike(got, direct);
      labelled += direct.labels_size() > 0;
    } else {
      const Struct& error = Field(got, "error").struct_value();
      EXPECT_EQ(Field(error, "code").number_value(), want.code);
      EXPECT_THAT(Field(error, "message").string_value(),
                  HasSubstr(want.message));
      EXPECT_EQ(Field(got, "labels").kind_case(), Value::KIND_NOT_SET);
    }
  }
  // The comparison above means something only if labels came back.
  EXPECT_GT(labelled, 0);
}

TEST_P(StreamClientTest, StreamsTwoThousandHeadlinesInOrder) {
  const std::vector<std::string> h = Headlines(2000);
  std::string input;
  for (const std::string& line : h) input += line + "\n";
  const ProgramResult run = Run({files_.WriteFile("headlines.txt", input)});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> out = run.OutLines();
  ASSERT_EQ(out.size(), h.size()) << run.err;
  int labelled = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const Struct got = ParseLine(out[i]);
    ASSERT_EQ(Field(got, "id").string_value(), std::to_string(i + 1)) << out[i];
    ASSERT_EQ(Field(got, "error").kind_case(), Value::KIND_NOT_SET) << out[i];
    for (const Value& label : Field(got, "labels").list_value().values()) {
      const Struct& l = label.struct_value();
      EXPECT_THAT(Field(l, "plugin").string_value(),
                  ::testing::AnyOf("news-topics", "rules"));
      EXPECT_FALSE(Field(l, "name").string_value().empty());
      if (!Field(l, "low_confidence").bool_value()) {
        EXPECT_GE(Field(l, "score").number_value(), 0.2);  // Default min_score.
      }
    }
    labelled += !Field(got, "labels").list_value().values().empty();
  }
  // Headlines of ten topics: the bundled model labels the vast majority.
  EXPECT_GT(labelled, 1000);
  // Spot checks: the streamed labels are the daemon's labels.
  for (size_t i : {0u, 999u, 1999u}) {
    ExpectLabelsLike(ParseLine(out[i]), Direct(h[i]));
  }
}

TEST_P(StreamClientTest, PluginFlagAsksOnlyThatClassifier) {
  const std::string file = files_.WriteFile("two.txt", "四川地震\nA股收盘\n");
  // Go's flag package takes one value per flag: separate with commas.
  const ProgramResult run = Run({GetParam().name == "go" ? "-plugin=rules"
                                                         : "--plugin=rules",
                                 file});
  EXPECT_EQ(run.exit_code, 0) << run.Show();
  const std::vector<std::string> out = run.OutLines();
  ASSERT_EQ(out.size(), 2u) << run.Show();
  const std::string want[] = {"disaster", "finance"};
  for (size_t i = 0; i < 2; ++i) {
    const Struct line = ParseLine(out[i]);
    const auto& labels = Field(line, "labels").list_value();
    ASSERT_EQ(labels.values_size(), 1) << out[i];  // No news-topics label.
    const Struct& label = labels.values(0).struct_value();
    EXPECT_EQ(Field(label, "plugin").string_value(), "rules");
    EXPECT_EQ(Field(label, "name").string_value(), want[i]);
  }
}

TEST_P(StreamClientTest, FlagsABestGuessUnderMinScore) {
  // A daemon of its own, whose only classifier scores under the default
  // min_score (0.2): each label it gives is a best guess.
  testing::TempDir plugins;
  plugins.WriteFile("weak.toml",
                    KeywordManifest("地震=disaster;股=finance", "score = 0.05"));
  auto weak = DaemonProcess::Start(plugins.path());
  ASSERT_NE(weak, nullptr);
  const ProgramResult run =
      Run({files_.WriteFile("two.txt", "四川地震\n足球\n")}, weak->address());
  EXPECT_EQ(run.exit_code, 0) << run.Show();
  const std::vector<std::string> out = run.OutLines();
  ASSERT_EQ(out.size(), 2u) << run.Show();
  const Struct first = ParseLine(out[0]);
  const auto& guess = Field(first, "labels").list_value();
  ASSERT_EQ(guess.values_size(), 1) << out[0];
  const Struct& label = guess.values(0).struct_value();
  EXPECT_EQ(Field(label, "name").string_value(), "disaster");
  EXPECT_NEAR(Field(label, "score").number_value(), 0.05, 1e-6);
  EXPECT_TRUE(Field(label, "low_confidence").bool_value()) << out[0];
  // No label at all: nothing to guess.
  const Struct second = ParseLine(out[1]);
  EXPECT_EQ(Field(second, "labels").list_value().values_size(), 0) << out[1];
}

TEST_P(StreamClientTest, LanguageFlagReplacesDetection) {
  // A daemon of its own, whose only classifier covers English.
  testing::TempDir plugins;
  plugins.WriteFile("en.toml", "languages = [\"en\"]\n" +
                                   KeywordManifest("militant=military"));
  auto english = DaemonProcess::Start(plugins.path());
  ASSERT_NE(english, nullptr);
  // An AG News World headline (2004) that the detector reads as Spanish.
  const std::string file =
      files_.WriteFile("short.txt", "Colombia militant gunned down\n");
  ProgramResult run = Run({file}, english->address());
  EXPECT_EQ(run.exit_code, 1) << run.Show();
  ASSERT_EQ(run.OutLines().size(), 1u) << run.Show();
  const Struct refused = ParseLine(run.OutLines()[0]);
  EXPECT_EQ(Field(Field(refused, "error").struct_value(), "code")
                .number_value(),
            9);  // FAILED_PRECONDITION: no classifier covers 'es'.

  run = Run({GetParam().name == "go" ? "-language=en" : "--language=en", file},
            english->address());
  EXPECT_EQ(run.exit_code, 0) << run.Show();
  ASSERT_EQ(run.OutLines().size(), 1u) << run.Show();
  const Struct answered = ParseLine(run.OutLines()[0]);
  const auto& labels = Field(answered, "labels").list_value();
  ASSERT_EQ(labels.values_size(), 1) << run.Show();
  EXPECT_EQ(Field(labels.values(0).struct_value(), "name").string_value(),
            "military");
}

// Input a user does not control: bytes that are not UTF-8, a JSON escape
// that is not a character, a line far over any document limit. Each costs
// at most its own line; the lines around it are answered, in order.
TEST_P(StreamClientTest, BadBytesAndHugeLinesCostOnlyTheirOwnLine) {
  const std::string input =
      "四川地震\n"
      "\xff\xfe 地震 \xc3\n"
      "{\"text\": \"a\\ud800b\"}\n" +
      std::string(17 << 20, 'x') + "\nA股收盘\n";
  const ProgramResult run = Run({files_.WriteFile("bad.txt", input)});
  EXPECT_NE(run.exit_code, 3) << run.err;
  const std::vector<std::string> out = run.OutLines();
  ASSERT_EQ(out.size(), 5u) << run.err;
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(Field(ParseLine(out[i]), "id").string_value(),
              std::to_string(i + 1))
        << out[i].substr(0, 200);
  }
  EXPECT_THAT(out[0], HasSubstr("\"disaster\""));
  EXPECT_THAT(out[3], HasSubstr("\"error\""));  // 17 MiB: no document.
  EXPECT_THAT(out[4], HasSubstr("\"finance\""));
}

// A producer gone quiet with every line answered (tail -f of a feed) when
// the daemon ends the stream: the client says so and exits at once, rather
// than at the next line, which it could not send.
TEST_P(StreamClientTest, ExitsWhenTheDaemonEndsTheStreamWhileTheInputIsQuiet) {
  testing::TempDir plugins;
  plugins.WriteFile("rules.toml", KeywordManifest("地震=disaster"));
  auto own = DaemonProcess::Start(plugins.path(), {"--drain-timeout", "1"});
  ASSERT_NE(own, nullptr);
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  const Client& client = GetParam();
  std::vector<std::string> argv = client.command;
  argv.push_back(client.addr_flag);
  argv.push_back(own->address());
  testing::ChildOptions options;
  options.env = client.env;
  options.stdin_fd = pipe_fds[0];
  testing::ChildProcess child(argv, options);
  close(pipe_fds[0]);
  const std::string line = "四川地震\n";
  ASSERT_EQ(write(pipe_fds[1], line.data(), line.size()),
            static_cast<ssize_t>(line.size()));
  ASSERT_TRUE(child.WaitForOutput(std::chrono::seconds(60)));
  own->Signal(SIGTERM);  // Its drain cancels the open stream after 1 s.
  const ProgramResult run = child.Wait(std::chrono::seconds(30));
  close(pipe_fds[1]);
  EXPECT_EQ(run.exit_code, 3) << run.Show();
  ASSERT_EQ(run.OutLines().size(), 1u) << run.Show();
  EXPECT_THAT(run.out, HasSubstr("disaster"));
}

TEST_P(StreamClientTest, SaysSoWhenNoDaemonListens) {
  const std::string addr = "127.0.0.1:" + std::to_string(testing::UnusedLoopbackPort());
  std::vector<std::string> args = GetParam().short_connect_timeout;
  args.push_back(files_.WriteFile("one.txt", "一条新闻\n"));
  const ProgramResult run = Run(args, addr);
  EXPECT_EQ(run.exit_code, 3) << run.Show();
  EXPECT_THAT(run.err, HasSubstr("connect")) << run.Show();
  EXPECT_EQ(run.out, "");
}

INSTANTIATE_TEST_SUITE_P(Clients, StreamClientTest,
                         ::testing::Values(Python(), Node(), Go()), ClientName);

}  // namespace
}  // namespace classifyd
