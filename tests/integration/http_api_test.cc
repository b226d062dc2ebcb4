// The HTTP/JSON API (--http-listen) against the real daemon: the same
// answers as gRPC in protobuf's JSON mapping, JSON Lines streams, the
// bad-input matrix with its HTTP statuses, readiness per classifier,
// clients that hold connections without sending, and streams at shutdown.
#include <gmock/gmock.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "testing/classify_call.h"
#include "testing/daemon_process.h"
#include "testing/raw_connection.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using testing::DaemonProcess;
using ::testing::HasSubstr;
using testing::KeywordManifest;
using testing::RawConnection;

constexpr char kRules[] = "地震=disaster;股=finance;球=sports";

template <typename Message>
Message FromJson(const std::string& json) {
  Message message;
  const auto status =
      google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return message;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class HttpApiTest : public ::testing::Test {
 protected:
  void Start(const std::vector<std::string>& extra = {},
             bool wait_serving = true) {
    std::vector<std::string> args = {"--http-listen", "127.0.0.1:0",
                                     "--http-port-file", work_.path() + "/http",
                                     "--reload-debounce-ms", "50"};
    args.insert(args.end(), extra.begin(), extra.end());
    daemon_ = DaemonProcess::Start(plugins_.path(), args, wait_serving);
    ASSERT_NE(daemon_, nullptr);
    std::ifstream(work_.path() + "/http") >> port_;
    ASSERT_GT(port_, 0);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    http_->set_read_timeout(std::chrono::seconds(60));
  }

  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& type = "application/json") {
    return http_->Post(path.c_str(), body, type.c_str());
  }

  // The error code name of an error body.
  static std::string ErrorCode(const httplib::Result& result) {
    return FromJson<google::protobuf::Struct>(result->body)
        .fields().at("error").struct_value().fields().at("code")
        .string_value();
  }

  testing::TempDir plugins_;
  testing::TempDir work_;
  std::unique_ptr<DaemonProcess> daemon_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(HttpApiTest, ClassifyAnswersWhatGrpcAnswers) {
  plugins_.WriteFile("rules.toml", KeywordManifest(kRules));
  ASSERT_NO_FATAL_FAILURE(Start());
  auto result = Post("/v1/classify", R"({"id": "d", "text": "地震后股市"})");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
  const auto over_http = FromJson<v1::ClassifyResponse>(result->body);
  ASSERT_EQ(over_http.labels_size(), 2) << result->body;

  auto stub = v1::Classifier::NewStub(daemon_->NewChannel());
  v1::ClassifyResponse over_grpc;
  ASSERT_TRUE(testing::ClassifyText(*stub, "地震后股市", &over_grpc).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(over_http,
                                                                 over_grpc))
      << over_http.DebugString() << "\nvs\n" << over_grpc.DebugString();
  // Proto field names are accepted too: {"top_k": 1}.
  result = Post("/v1/classify", R"({"text": "地震后股市", "top_k": 1})");
  ASSERT_TRUE(result);
  EXPECT_EQ(FromJson<v1::ClassifyResponse>(result->body).labels_size(), 1);
  // A language the client gives replaces detection.
  result =
      Post("/v1/classify", R"({"text": "地震后股市", "language": "zh-hk"})");
  ASSERT_TRUE(result);
  EXPECT_EQ(FromJson<v1::ClassifyResponse>(result->body).language(), "zh-HK");
}

TEST_F(HttpApiTest, BatchAnswersEachDocumentInOrderWithItsOwnError) {
  plugins_.WriteFile("rules.toml", KeywordManifest(kRules));
  ASSERT_NO_FATAL_FAILURE(Start());
  auto result = Post("/v1/classify:batch", R"({"documents": [
      {"id": "1", "text": "地震"}, {"id": "2", "text": "  "},
      {"id": "3", "text": "球赛"}]})");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  const auto batch = FromJson<v1::ClassifyBatchResponse>(result->body);
  ASSERT_EQ(batch.results_size(), 3);
  EXPECT_EQ(batch.results(0).labels(0).name(), "disaster");
  EXPECT_EQ(batch.results(1).error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(batch.results(2).labels(0).name(), "sports");
}

TEST_F(HttpApiTest, StreamAnswersJsonLinesInOrderWithErrorsPerLine) {
  plugins_.WriteFile("rules.toml", KeywordManifest(kRules));
  ASSERT_NO_FATAL_FAILURE(Start({"--max-document-bytes", "1000"}));
  // Sent chunked, in many pieces, with a bad line, a blank one and a line
  // far over the limit among good ones.
  std::vector<std::string> pieces;
  for (int i = 0; i < 300; ++i) {
    pieces.push_back(R"({"id": ")" + std::to_string(i) +
                     R"(", "text": "地震)" + std::to_string(i) + "\"}\n");
  }
  pieces[100] = "{not json\n";
  pieces[150] = "\n";
  pieces[200] = R"({"id": "long", "text": ")" + std::string(200'000, 'x') +
                "\"}\n";
  size_t next = 0;
  auto result = http_->Post(
      "/v1/classify:stream",
      [&](size_t, httplib::DataSink& sink) {
        if (next == pieces.size()) {
          sink.done();
        } else {
          sink.write(pieces[next].data(), pieces[next].size());
          ++next;
        }
        return true;
      },
      "application/x-ndjson");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  const std::vector<std::string> lines = Lines(result->body);
  ASSERT_EQ(lines.size(), 299u);  // Every line but the blank one.
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t sent = i < 150 ? i : i + 1;
    const auto response = FromJson<v1::ClassifyResponse>(lines[i]);
    if (sent == 100) {
      EXPECT_EQ(response.error().code(), grpc::StatusCode::INVALID_ARGUMENT);
      EXPECT_THAT(response.error().message(), HasSubstr("not a JSON"));
    } else if (sent == 200) {
      EXPECT_EQ(response.error().code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    } else {
      EXPECT_EQ(response.id(), std::to_string(sent));
      ASSERT_EQ(response.labels_size(), 1) << lines[i];
      EXPECT_EQ(response.labels(0).name(), "disaster");
    }
  }
}

struct BadInput {
  std::string path;
  std::string content_type;
  std::string body;
  int status;
  std::string code;
  std::string message_part;
};

TEST_F(HttpApiTest, BadInputGetsItsStatusAndAClearErrorAndHarmsNothing) {
  plugins_.WriteFile("rules.toml", KeywordManifest(kRules));
  ASSERT_NO_FATAL_FAILURE(Start({"--max-document-bytes", "1000",
                                 "--max-message-bytes", "65536",
                                 "--max-batch-documents", "3"}));
  const std::string json = "application/json";
  const std::vector<BadInput> cases = {
      {"/v1/classify", json, "", 400, "INVALID_ARGUMENT", "empty"},
      {"/v1/classify", json, "{\"text\": ", 400, "INVALID_ARGUMENT",
       "not a JSON ClassifyRequest"},
      {"/v1/classify", json, R"({"txt": "地震"})", 400, "INVALID_ARGUMENT",
       "txt"},
      {"/v1/classify", json, R"({"text": 5})", 400, "INVALID_ARGUMENT", "text"},
      {"/v1/classify", json, "{\"text\": \"\xff\xfe\"}", 400,
       "INVALID_ARGUMENT", "UTF-8"},
      {"/v1/classify", json, R"({"text": "  "})", 400, "INVALID_ARGUMENT",
       "whitespace"},
      {"/v1/classify", "text/plain", "地震", 415, "INVALID_ARGUMENT",
       "application/json"},
      {"/v1/classify", json, R"({"text": "地震", "plugins": ["nope"]})", 404,
       "NOT_FOUND", "nope"},
      {"/v1/classify", json, R"({"text": "地震", "language": "zh_CN"})", 400,
       "INVALID_ARGUMENT", "language 'zh_CN' is not a well-formed BCP 47 tag"},
      {"/v1/classify", json,
       R"({"text": ")" + std::string(2000, 'x') + "\"}", 413,
       "RESOURCE_EXHAUSTED", "1000"},
      {"/v1/classify", json,
       R"({"text": ")" + std::string(70'000, 'x') + "\"}", 413,
       "RESOURCE_EXHAUSTED", "max-message-bytes"},
      {"/v1/classify:batch", json,
       R"({"documents": [{"text": "a"}, {"text": "b"}, {"text": "c"},
                         {"text": "d"}]})",
       400, "INVALID_ARGUMENT", "max_batch_documents"},
      {"/v1/classify:stream", "text/plain", "{}", 415, "INVALID_ARGUMENT",
       "x-ndjson"},
      {"/v1/nothing", json, "{}", 404, "NOT_FOUND", "/v1/nothing"},
  };
  for (const BadInput& c : cases) {
    SCOPED_TRACE(c.path + " " + c.content_type + " " + c.body.substr(0, 60));
    auto result = Post(c.path, c.body, c.content_type);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, c.status) << result->body;
    EXPECT_EQ(ErrorCode(result), c.code) << result->body;
    EXPECT_THAT(result->body, HasSubstr(c.message_part));
  }
  auto result = Post("/v1/classify", R"({"text": "地震"})");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200) << result->body;
}

TEST_F(HttpApiTest, ClassifiersAreListedAndReadinessMirrorsHealth) {
  plugins_.WriteFile("good.toml", KeywordManifest(kRules));
  plugins_.WriteFile("broken.toml", "plugin = \"/nonexistent/nothing.so\"\n");
  ASSERT_NO_FATAL_FAILURE(Start());
  auto result = http_->Get("/v1/classifiers");
  ASSERT_TRUE(result);
  const auto list = FromJson<v1::ListPluginsResponse>(result->body);
  ASSERT_EQ(list.plugins_size(), 2) << result->body;
  EXPECT_EQ(list.plugins(0).name(), "broken");
  EXPECT_EQ(list.plugins(0).state(), v1::PluginInfo::FAILED);

  result = http_->Get("/v1/classifiers/good");
  ASSERT_TRUE(result);
  const auto good = FromJson<v1::PluginInfo>(result->body);
  EXPECT_EQ(good.state(), v1::PluginInfo::READY);
  EXPECT_THAT(good.labels(), ::testing::Contains("disaster"));

  EXPECT_EQ(http_->Get("/v1/classifiers/good/ready")->status, 200);
  result = http_->Get("/v1/classifiers/broken/ready");
  EXPECT_EQ(result->status, 503);
  EXPECT_EQ(result->body, R"({"status":"NOT_SERVING"})");
  result = http_->Get("/v1/classifiers/nosuch/ready");
  EXPECT_EQ(result->status, 404);
  EXPECT_EQ(ErrorCode(result), "NOT_FOUND");
  EXPECT_EQ(http_->Get("/v1/classifiers/nosuch")->status, 404);
  EXPECT_EQ(http_->Get("/readyz")->status, 200);
  EXPECT_EQ(http_->Get("/healthz")->status, 200);
}

TEST_F(HttpApiTest, WithNoClassifierReadyTheServerIsNotReady) {
  ASSERT_NO_FATAL_FAILURE(Start({}, /*wait_serving=*/false));
  ASSERT_TRUE(daemon_->WaitForHealth(false, std::chrono::seconds(30)));
  EXPECT_EQ(http_->Get("/readyz")->status, 503);
  EXPECT_EQ(http_->Get("/healthz")->status, 200);
  auto result = Post("/v1/classify", R"({"text": "地震"})");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 503);
  EXPECT_EQ(ErrorCode(result), "UNAVAILABLE");
}

TEST_F(HttpApiTest, ServesTheConsoleFromTheBinary) {
  plugins_.WriteFile("rules.toml", KeywordManifest(kRules));
  ASSERT_NO_FATAL_FAILURE(Start());
  auto page = http_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->get_header_value("Content-Type"), HasSubstr("text/html"));
  EXPECT_THAT(page->body, HasSubstr("<script src=\"/console.js\">"));
  EXPECT_EQ(http_->Get("/console.js")->status, 200);
  EXPECT_EQ(http_->Get("/console.css")->status, 200);
  auto stats = http_->Get("/console/stats");
  ASSERT_TRUE(stats);
  EXPECT_THAT(stats->body, HasSubstr("\"rules\""));
}

// A client that sends half a request and stops is cut off after the read
// timeout; others are served meanwhile.
TEST_F(HttpApiTest, ASlowClientIsDisconnectedAndOthersAreServed) {
  plugins_.WriteFile("rules.toml", KeywordManifest(kRules));
  ASSERT_NO_FATAL_FAILURE(Start({"--http-read-timeout", "0.5"}));
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 4; ++i) {
    slow.push_back(std::make_unique<RawConnection>(port_));
    ASSERT_TRUE(slow.back()->connected());
    slow.back()->Send("POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-");
  }
  auto result = Post("/v1/classify", R"({"text": "地震"})");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  for (auto& connection : slow) EXPECT_TRUE(connection->ClosedByServer());
}

// Connections that never send a byte wait in the kernel (TCP_DEFER_ACCEPT)
// rather than on the listener's threads: hundreds of them (a cheap stand-in
// for the ten thousand a hostile client could open) leave two threads free
// for real requests.
TEST_F(HttpApiTest, IdleConnectionsDoNotTakeTheThreads) {
  plugins_.WriteFile("rules.toml", KeywordManifest(kRules));
  ASSERT_NO_FATAL_FAILURE(Start({"--http-threads", "2"}));
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 300; ++i) {
    idle.push_back(std::make_unique<RawConnection>(port_));
    ASSERT_TRUE(idle.back()->connected()) << i;
  }
  // With a thread per idle connection each would hold one for the
  // keep-alive time (5 s): 300 of them on 2 threads, over 10 minutes.
  http_->set_read_timeout(std::chrono::seconds(60));
  for (int i = 0; i < 10; ++i) {
    auto result = Post("/v1/classify", R"({"text": "地震"})");
    ASSERT_TRUE(result) << i;
    EXPECT_EQ(result->status, 200);
  }
}

// One chunk of a chunked request body.
std::string Chunk(const std::string& data) {
  std::ostringstream chunk;
  chunk << std::hex << data.size() << "\r\n" << data << "\r\n";
  return chunk.str();
}

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos;
       at = text.find(part, at + part.size())) {
    ++n;
  }
  return n;
}

// SIGTERM waits for the HTTP streams in flight as it waits for gRPC's: one
// that ends within the drain gets every answer, and one that never ends is
// ended when the drain is over, so that the daemon still exits.
TEST_F(HttpApiTest, SigtermWaitsForStreamsAndEndsThoseThatNeverDo) {
  plugins_.WriteFile("rules.toml", KeywordManifest(kRules));
  ASSERT_NO_FATAL_FAILURE(Start({"--drain-timeout", "4"}));
  const std::string head =
      "POST /v1/classify:stream HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: application/x-ndjson\r\n"
      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  const std::string line = Chunk("{\"text\": \"地震\"}\n");
  RawConnection endless(port_);
  RawConnection ending(port_);
  ASSERT_TRUE(endless.connected() && ending.connected());
  endless.Send(head + line);
  ending.Send(head + line);
  // Both streams are in flight once each has answered its first line.
  EXPECT_THAT(endless.ReceiveUntil("disaster"), HasSubstr("disaster"));
  EXPECT_THAT(ending.ReceiveUntil("disaster"), HasSubstr("disaster"));

  daemon_->Signal(SIGTERM);
  std::atomic<bool> stop{false};
  std::thread feeder([&] {
    while (!stop && endless.TrySend(line)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Draining: not ready, and no new stream.
  EXPECT_EQ(http_->Get("/readyz")->status, 503);
  auto refused = Post("/v1/classify:stream", "{\"text\": \"地震\"}\n",
                      "application/x-ndjson");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  ending.Send(line + "0\r\n\r\n");
  const std::string rest = ending.ReceiveUntil("\r\n0\r\n\r\n");
  EXPECT_EQ(Count(rest, "disaster"), 1u) << rest;
  EXPECT_THAT(rest, HasSubstr("\r\n0\r\n\r\n")) << "response not finished";

  const std::optional<int> status =
      daemon_->WaitForExit(std::chrono::seconds(30));
  stop = true;
  feeder.join();
  ASSERT_TRUE(status.has_value()) << "the never-ending stream held the exit";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << daemon_->Log();
  EXPECT_TRUE(endless.ClosedByServer());
  EXPECT_THAT(daemon_->Log(), HasSubstr("1 HTTP stream(s) still open"));
}

}  // namespace
}  // namespace classifyd
