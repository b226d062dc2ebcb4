// Integration tests of ClassifyStream and shutdown against the real daemon.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::HasSubstr;
using testing::DaemonProcess;
using testing::KeywordManifest;

class StreamTest : public ::testing::Test {
 protected:
  void StartWith(const std::string& manifest,
                 const std::vector<std::string>& args = {}) {
    plugins_.WriteFile("rules.toml", manifest);
    daemon_ = DaemonProcess::Start(plugins_.path(), args);
    ASSERT_NE(daemon_, nullptr);
    stub_ = v1::Classifier::NewStub(daemon_->NewChannel());
  }

  testing::TempDir plugins_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::Classifier::Stub> stub_;
};

// Sends `texts` on one stream from a writer thread while reading every
// response on this thread, like a real pipelining client.
struct StreamResult {
  std::vector<v1::ClassifyResponse> responses;
  grpc::Status status;
};
StreamResult RunStream(v1::Classifier::Stub* stub,
                       const std::vector<std::string>& texts) {
  grpc::ClientContext context;
  auto stream = stub->ClassifyStream(&context);
  std::thread writer([&] {
    for (size_t i = 0; i < texts.size(); ++i) {
      v1::ClassifyRequest request;
      request.set_id(std::to_string(i));
      request.set_text(texts[i]);
      if (!stream->Write(request)) break;
    }
    stream->WritesDone();
  });
  StreamResult result;
  v1::ClassifyResponse response;
  while (stream->Read(&response)) result.responses.push_back(response);
  writer.join();
  result.status = stream->Finish();
  return result;
}

TEST_F(StreamTest, TenThousandDocumentsComeBackInOrder) {
  ASSERT_NO_FATAL_FAILURE(StartWith(KeywordManifest("地震=disaster;股=finance")));
  std::vector<std::string> texts;
  for (int i = 0; i < 10000; ++i) {
    texts.push_back(i % 2 ? "四川发生地震" : "A股收盘");
  }
  StreamResult result = RunStream(stub_.get(), texts);
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_EQ(result.responses.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto& r = result.responses[i];
    ASSERT_EQ(r.id(), std::to_string(i));
    ASSERT_EQ(r.error().code(), 0);
    ASSERT_EQ(r.labels_size(), 1);
    EXPECT_EQ(r.labels(0).name(), i % 2 ? "disaster" : "finance");
  }
}

TEST_F(StreamTest, APipeliningClientGetsItsDocumentsBatched) {
  // The plugin reports the size of each batch it was given; a slow plugin
  // lets documents queue up behind the one being classified.
  ASSERT_NO_FATAL_FAILURE(StartWith(KeywordManifest("x=ex", "report_batch_size = true\nsleep_ms = 5")));
  std::vector<std::string> texts(400, "x");
  StreamResult result = RunStream(stub_.get(), texts);
  ASSERT_TRUE(result.status.ok());
  ASSERT_EQ(result.responses.size(), texts.size());
  int largest = 0;
  for (const auto& r : result.responses) {
    for (const auto& label : r.labels()) {
      if (label.name().rfind("batch:", 0) == 0) {
        largest = std::max(largest, std::stoi(label.name().substr(6)));
      }
    }
  }
  EXPECT_GT(largest, 1);
}

// A "Vm...:" figure of process `pid`, in KiB, from /proc/<pid>/status.
long ProcStatusKiB(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stol(line.substr(field.size() + 1));
    }
  }
  return -1;
}

TEST_F(StreamTest, AStreamOfLargeDocumentsHoldsAFewMegabytesNotItsWindow) {
  // Under AddressSanitizer freed memory stays in quarantine (256 MiB by
  // default), which would count as growth here; builds without ASan ignore
  // the variable.
  if (const char* asan = std::getenv("ASAN_OPTIONS")) {
    setenv("ASAN_OPTIONS",
           (std::string(asan) + ":quarantine_size_mb=16").c_str(), 1);
  }
  // A slow classifier (100 ms per plugin call), so a pipelining client gets
  // ahead of it and the daemon's read-ahead fills: 512 documents of 1 MiB
  // by the document window alone, 16 MiB by the byte window.
  ASSERT_NO_FATAL_FAILURE(StartWith(KeywordManifest("x=ex", "sleep_ms = 100")));
  constexpr size_t kDocs = 200;
  std::vector<std::string> texts;
  for (size_t i = 0; i < kDocs; ++i) {
    std::string text(1 << 20, 'a' + i % 26);  // Exactly the default limit.
    text[0] = 'x';
    texts.push_back(std::move(text));
  }
  const long rss_before = ProcStatusKiB(daemon_->pid(), "VmRSS");
  StreamResult result = RunStream(stub_.get(), texts);
  const long peak = ProcStatusKiB(daemon_->pid(), "VmHWM");
  std::cout << "[ measured ] " << kDocs
            << " documents of 1 MiB on one stream: daemon RSS "
            << rss_before / 1024 << " MiB before, peak " << peak / 1024
            << " MiB (growth " << (peak - rss_before) / 1024 << " MiB)\n";
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_EQ(result.responses.size(), kDocs);
  for (size_t i = 0; i < kDocs; ++i) {
    ASSERT_EQ(result.responses[i].id(), std::to_string(i));
    ASSERT_EQ(result.responses[i].error().code(), 0);
    ASSERT_EQ(result.responses[i].labels_size(), 1);
  }
  // 16 MiB of window, the document being read, gRPC's buffers and the
  // allocator's slack stay far below this; reading ahead 200 MiB does not.
  ASSERT_GT(rss_before, 0);
  EXPECT_LT(peak - rss_before, 128 * 1024) << "the read-ahead held too much";
}

TEST_F(StreamTest, AByteWindowSmallerThanOneDocumentStillAdmitsOne) {
  ASSERT_NO_FATAL_FAILURE(StartWith(KeywordManifest("x=ex"),
                                    {"--stream-window-bytes", "1"}));
  std::vector<std::string> texts(50, "x " + std::string(100 << 10, 'a'));
  StreamResult result = RunStream(stub_.get(), texts);
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_EQ(result.responses.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_EQ(result.responses[i].id(), std::to_string(i));
    ASSERT_EQ(result.responses[i].labels_size(), 1);
  }
}

TEST_F(StreamTest, ManyConcurrentStreamsAllSucceed) {
  ASSERT_NO_FATAL_FAILURE(StartWith(KeywordManifest("x=ex")));
  std::atomic<int> ok_streams{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&] {
      std::vector<std::string> texts(500, "x y");
      StreamResult result = RunStream(stub_.get(), texts);
      if (result.status.ok() && result.responses.size() == texts.size()) {
        ok_streams++;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok_streams.load(), 8);
}

// A cancel lands while a batch is being classified, so the worker that
// finishes the batch and the gRPC threads that end the call race to be the
// last to touch the stream. Under ASan a stream used after it was freed
// takes the daemon down, and the SIGTERM below finds it gone. The window is
// a few instructions wide, so one run catches a regression only sometimes.
TEST_F(StreamTest, StreamsCancelledWhileClassifyingEndWithoutHarm) {
  ASSERT_NO_FATAL_FAILURE(StartWith(KeywordManifest("x=ex", "sleep_ms = 1")));
  std::atomic<int> cancelled{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      for (int s = 0; s < 50; ++s) {
        grpc::ClientContext context;
        auto stream = stub_->ClassifyStream(&context);
        v1::ClassifyRequest request;
        request.set_text("x y");
        for (int i = 0; i < 8; ++i) stream->Write(request);
        v1::ClassifyResponse response;
        stream->Read(&response);
        context.TryCancel();
        if (stream->Finish().error_code() == grpc::StatusCode::CANCELLED) {
          cancelled++;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(cancelled.load(), 200);

  StreamResult after = RunStream(stub_.get(), {"x", "y"});
  EXPECT_TRUE(after.status.ok()) << after.status.error_message();
  EXPECT_EQ(after.responses.size(), 2u);
  stub_.reset();  // The server's shutdown would wait seconds on its connection.
  daemon_->Signal(SIGTERM);
  const std::optional<int> status =
      daemon_->WaitForExit(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << daemon_->Log();
}

TEST_F(StreamTest, SigtermFinishesInFlightStreamsThenExitsZero) {
  ASSERT_NO_FATAL_FAILURE(StartWith(KeywordManifest("x=ex", "sleep_ms = 20")));
  grpc::ClientContext context;
  auto stream = stub_->ClassifyStream(&context);
  v1::ClassifyRequest request;
  request.set_text("x");
  constexpr int kDocs = 40;
  for (int i = 0; i < kDocs; ++i) {
    request.set_id(std::to_string(i));
    ASSERT_TRUE(stream->Write(request));
  }
  v1::ClassifyResponse response;
  ASSERT_TRUE(stream->Read(&response));  // The stream is being served.
  daemon_->Signal(SIGTERM);
  ASSERT_TRUE(daemon_->WaitForLog("draining", std::chrono::seconds(10)));
  stream->WritesDone();
  int received = 1;
  while (stream->Read(&response)) {
    EXPECT_EQ(response.id(), std::to_string(received));
    ++received;
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(received, kDocs);
  auto status = daemon_->WaitForExit(std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  EXPECT_THAT(daemon_->Log(), HasSubstr("classifyd stopped"));
}

// While the streams in flight drain, new streams are refused with
// UNAVAILABLE (open it on another instance); unary calls are still served.
TEST_F(StreamTest, StreamsThatStartDuringTheDrainAreRefused) {
  // The drain ends with this client's idle connection still open, which
  // gRPC's shutdown then waits for until the deadline: keep it short.
  ASSERT_NO_FATAL_FAILURE(
      StartWith(KeywordManifest("x=ex"), {"--drain-timeout", "3"}));
  grpc::ClientContext context;
  auto stream = stub_->ClassifyStream(&context);
  v1::ClassifyRequest request;
  request.set_id("0");
  request.set_text("x");
  ASSERT_TRUE(stream->Write(request));
  v1::ClassifyResponse response;
  ASSERT_TRUE(stream->Read(&response));  // In flight, not half-closed.
  daemon_->Signal(SIGTERM);
  ASSERT_TRUE(
      daemon_->WaitForLog("new streams refused", std::chrono::seconds(10)));

  grpc::ClientContext unary_context;
  unary_context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::seconds(30));
  grpc::Status status = stub_->Classify(&unary_context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.labels_size(), 1);
  grpc::ClientContext late_context;
  auto late = stub_->ClassifyStream(&late_context);
  late->Write(request);  // May fail: the server may have finished already.
  late->WritesDone();
  while (late->Read(&response)) ADD_FAILURE() << "a refused stream answered";
  status = late->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("shutting down"));

  // The stream that was in flight goes on until it ends.
  request.set_id("1");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.id(), "1");
  stream->WritesDone();
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_TRUE(stream->Finish().ok());
  auto exit = daemon_->WaitForExit(std::chrono::seconds(20));
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(WIFEXITED(*exit));
  EXPECT_EQ(WEXITSTATUS(*exit), 0);
}

TEST_F(StreamTest, SigtermDrainIsBoundedForStreamsThatNeverEnd) {
  ASSERT_NO_FATAL_FAILURE(StartWith(KeywordManifest("x=ex"), {"--drain-timeout", "1"}));
  grpc::ClientContext context;
  auto stream = stub_->ClassifyStream(&context);
  v1::ClassifyRequest request;
  request.set_text("x");
  ASSERT_TRUE(stream->Write(request));
  v1::ClassifyResponse response;
  ASSERT_TRUE(stream->Read(&response));
  // The client never half-closes.
  const auto start = std::chrono::steady_clock::now();
  daemon_->Signal(SIGTERM);
  auto status = daemon_->WaitForExit(std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value()) << "daemon did not exit";
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
  while (stream->Read(&response)) {
  }
  EXPECT_FALSE(stream->Finish().ok());
}

}  // namespace
}  // namespace classifyd
