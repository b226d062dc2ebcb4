// Two real daemons behind a real nginx (grpc_pass, HTTP/2 on loopback);
// clients keep classifying through nginx while one daemon is stopped,
// once with SIGTERM (drain) and once with SIGKILL. The test asserts what
// the daemon and the documented client policy (docs/scale-out.md)
// guarantee, and prints what the clients saw (the table in that doc).
//
// Each daemon's keyword classifier answers with its own label ("via-a",
// "via-b"), so every response says which daemon gave it.
#include <absl/status/status.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using testing::DaemonProcess;
using testing::KeywordManifest;

constexpr char kNginx[] = "/usr/sbin/nginx";

// The retry policy docs/scale-out.md tells clients to use for unary calls.
// CANCELLED is in it because a draining daemon cancels calls that nginx
// still sends on its kept-alive connection (seen in this test); a call
// the client itself cancels is never retried.
constexpr char kRetryServiceConfig[] = R"({
  "methodConfig": [{
    "name": [
      {"service": "classifyd.v1.Classifier", "method": "Classify"},
      {"service": "classifyd.v1.Classifier", "method": "ClassifyBatch"},
      {"service": "classifyd.v1.Classifier", "method": "ListPlugins"}
    ],
    "retryPolicy": {
      "maxAttempts": 5,
      "initialBackoff": "0.05s",
      "maxBackoff": "1s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE", "CANCELLED"]
    }
  }]
})";

// nginx cannot report the port it picked for :0, so the test picks an
// unused one (and retries on a clash).

// nginx in the foreground, as the current user, everything in a temp dir.
class NginxProcess {
 public:
  static std::unique_ptr<NginxProcess> Start(
      const std::vector<std::string>& upstreams) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      std::unique_ptr<NginxProcess> n(new NginxProcess());
      n->port_ = testing::UnusedLoopbackPort();
      n->dir_.WriteFile("nginx.conf", n->Config(upstreams));
      std::vector<std::string> args = {kNginx,
                                       "-p",
                                       n->dir_.path() + "/",
                                       "-c",
                                       n->dir_.path() + "/nginx.conf",
                                       "-e",
                                       n->dir_.path() + "/error.log"};
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      const int log_fd = open((n->dir_.path() + "/stderr.log").c_str(),
                              O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      const pid_t pid = fork();
      if (pid == 0) {
        dup2(log_fd, STDERR_FILENO);
        execv(argv[0], argv.data());
        _exit(127);
      }
      close(log_fd);
      n->pid_ = pid;
      if (n->WaitListening()) return n;
    }
    ADD_FAILURE() << "nginx did not start";
    return nullptr;
  }

  ~NginxProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string config() const {
    std::ifstream in(dir_.path() + "/nginx.conf");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string ErrorLog() const {
    std::ifstream in(dir_.path() + "/error.log");
    std::ifstream err(dir_.path() + "/stderr.log");
    return std::string(std::istreambuf_iterator<char>(in), {}) +
           std::string(std::istreambuf_iterator<char>(err), {});
  }

 private:
  NginxProcess() = default;

  std::string Config(const std::vector<std::string>& upstreams) const {
    const std::string& d = dir_.path();
    std::ostringstream c;
    c << "daemon off;\n"
      << "master_process off;\n"
      << "worker_processes 1;\n"
      << "pid " << d << "/nginx.pid;\n"
      << "error_log " << d << "/error.log warn;\n"
      << "events { worker_connections 1024; }\n"
      << "http {\n"
      << "  access_log off;\n";
    for (const char* temp :
         {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
      c << "  " << temp << "_temp_path " << d << "/" << temp << ";\n";
    }
    c << "  upstream classifyd {\n";
    for (const std::string& u : upstreams) c << "    server " << u << ";\n";
    c << "    keepalive 16;\n"
      << "  }\n"
      << "  server {\n"
      << "    listen 127.0.0.1:" << port_ << " http2;\n"
      << "    location / {\n"
      << "      grpc_pass grpc://classifyd;\n"
      << "      grpc_read_timeout 60s;\n"
      << "      grpc_send_timeout 60s;\n"
      << "    }\n"
      << "  }\n"
      << "}\n";
    return c.str();
  }

  bool WaitListening() {
    for (int i = 0; i < 500; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;  // Port clash or bad config: the caller retries.
      }
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(port_));
      const bool up =
          connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      close(fd);
      if (up) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  testing::TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

std::shared_ptr<grpc::Channel> Channel(const std::string& address, bool retry) {
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  if (retry) {
    args.SetServiceConfigJSON(kRetryServiceConfig);
  } else {
    args.SetInt("grpc.enable_retries", 0);
  }
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   args);
}

std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// Which daemon answered: "a", "b", or "?" when the response has no label.
std::string Daemon(const v1::ClassifyResponse& r) {
  return r.labels_size() > 0 ? r.labels(0).name().substr(4) : "?";
}

std::string Render(const std::map<std::string, int>& counts) {
  std::string out;
  for (const auto& [k, v] : counts) {
    if (!out.empty()) out += ", ";
    out += k + " " + std::to_string(v);
  }
  return out.empty() ? "-" : out;
}

// What unary clients saw.
struct UnaryTally {
  std::mutex mu;
  std::map<std::string, int> codes;             // By gRPC code.
  std::map<std::string, int> daemons;           // OK answers by daemon.
  std::map<std::string, std::string> messages;  // First message per code.
};

void UnaryClient(std::shared_ptr<grpc::Channel> channel,
                 const std::atomic<bool>* stop, UnaryTally* tally) {
  auto stub = v1::Classifier::NewStub(channel);
  int n = 0;
  while (!stop->load()) {
    v1::ClassifyRequest request;
    request.set_id(std::to_string(n++));
    request.set_text("台风");
    v1::ClassifyResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    const grpc::Status status = stub->Classify(&context, request, &response);
    std::lock_guard lock(tally->mu);
    const std::string code = CodeName(status.error_code());
    ++tally->codes[code];
    if (status.ok()) ++tally->daemons[Daemon(response)];
    tally->messages.emplace(code, status.error_message());
  }
}

// One stream client: sends numbered documents in windows of 8 and reads
// the answers, which come back in order. When its stream breaks it opens
// a new one and resends what was not answered: the documented policy.
struct StreamClient {
  int number = 0;
  int sent = 0;                       // Distinct documents sent.
  int answered = 0;                   // Distinct documents answered.
  int mismatched = 0;                 // Answers with an unexpected id.
  int streams = 0;                    // Streams opened.
  std::map<std::string, int> broken;  // Streams that broke, by code.
  std::map<std::string, std::string> messages;  // First message per code.
  std::map<std::string, int> finished_on;       // Daemon of each ended stream.
  // Daemons of streams that broke, and of those that ended cleanly.
  std::vector<std::pair<std::string, std::string>> history;  // daemon, code
  std::atomic<bool> first_answer{false};
  std::string first_daemon;

  void Run(std::shared_ptr<grpc::Channel> channel,
           const std::atomic<bool>* stop) {
    auto stub = v1::Classifier::NewStub(channel);
    std::deque<std::string> unanswered;
    while ((!stop->load() || !unanswered.empty()) && streams < 50) {
      ++streams;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(60));
      auto stream = stub->ClassifyStream(&context);
      std::string daemon = "?";
      bool broke = false;
      for (;;) {
        // Resend everything unanswered, then top the window up.
        while (!stop->load() && unanswered.size() < 8) {
          std::ostringstream id;
          id << "s" << number << "-" << sent++;
          unanswered.push_back(id.str());
        }
        if (unanswered.empty()) break;
        for (const std::string& id : unanswered) {
          v1::ClassifyRequest request;
          request.set_id(id);
          request.set_text("台风");
          if (!stream->Write(request)) {
            broke = true;
            break;
          }
        }
        const size_t window = unanswered.size();
        for (size_t i = 0; !broke && i < window; ++i) {
          v1::ClassifyResponse response;
          if (!stream->Read(&response)) {
            broke = true;
            break;
          }
          if (response.id() != unanswered.front()) ++mismatched;
          unanswered.pop_front();
          ++answered;
          daemon = Daemon(response);
          if (!first_answer.load()) {
            first_daemon = daemon;
            first_answer.store(true);
          }
        }
        if (broke) break;
      }
      if (!broke) stream->WritesDone();
      const grpc::Status status = stream->Finish();
      const std::string code = CodeName(status.error_code());
      history.emplace_back(daemon, broke ? code : "OK");
      if (broke || !status.ok()) {
        ++broken[code];
        messages.emplace(code, status.error_message());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }
};

class ScaleOutTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kNginx))
        << kNginx << " is missing: deploy/setup.sh installs Debian's nginx";
    a_dir_.WriteFile("rules.toml", KeywordManifest("台风=via-a"));
    b_dir_.WriteFile("rules.toml", KeywordManifest("台风=via-b"));
    const std::vector<std::string> args = {"--drain-timeout", "1", "--watch",
                                           "false"};
    a_ = DaemonProcess::Start(a_dir_.path(), args);
    ASSERT_NE(a_, nullptr);
    b_ = DaemonProcess::Start(b_dir_.path(), args);
    ASSERT_NE(b_, nullptr);
    nginx_ = NginxProcess::Start({a_->address(), b_->address()});
    ASSERT_NE(nginx_, nullptr);
  }

  testing::TempDir a_dir_, b_dir_;
  std::unique_ptr<DaemonProcess> a_, b_;
  std::unique_ptr<NginxProcess> nginx_;
};

TEST_P(ScaleOutTest, ClientsRideOutADaemonStopping) {
  const int signal = GetParam();
  const char* how = signal == SIGTERM ? "SIGTERM" : "SIGKILL";
  std::atomic<bool> stop{false};

  // Streams first, one at a time, so nginx's round robin spreads them
  // over both daemons before the unary calls start.
  constexpr int kStreams = 4;
  std::vector<std::unique_ptr<StreamClient>> streams;
  std::vector<std::thread> threads;
  for (int i = 0; i < kStreams; ++i) {
    streams.push_back(std::make_unique<StreamClient>());
    StreamClient* s = streams.back().get();
    s->number = i;
    threads.emplace_back(
        [s, this, &stop] { s->Run(Channel(nginx_->address(), false), &stop); });
    for (int w = 0; w < 3000 && !s->first_answer.load(); ++w) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(s->first_answer.load()) << nginx_->ErrorLog();
  }
  int streams_on_a = 0;
  for (const auto& s : streams) streams_on_a += s->first_daemon == "a";
  ASSERT_GT(streams_on_a, 0) << "nginx put no stream on daemon a";

  UnaryTally plain, retried;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back(UnaryClient, Channel(nginx_->address(), false), &stop,
                         &plain);
    threads.emplace_back(UnaryClient, Channel(nginx_->address(), true), &stop,
                         &retried);
  }

  std::this_thread::sleep_for(std::chrono::seconds(1));
  a_->Signal(signal);
  std::optional<int> exit = a_->WaitForExit(std::chrono::seconds(60));
  ASSERT_TRUE(exit.has_value()) << "daemon a did not exit after " << how;
  if (signal == SIGTERM) {
    EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << a_->Log();
  }
  // Traffic goes on through the one daemon left.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop.store(true);
  for (auto& t : threads) t.join();

  // What the clients saw, for docs/scale-out.md.
  std::ostringstream report;
  report << "| " << how << " | unary, no retry | " << Render(plain.codes)
         << " | answered by " << Render(plain.daemons) << " |\n";
  report << "| " << how << " | unary, retry policy | " << Render(retried.codes)
         << " | answered by " << Render(retried.daemons) << " |\n";
  int sent = 0, answered = 0, opened = 0, mismatched = 0;
  std::map<std::string, int> broken;
  std::map<std::string, std::string> messages;  // First message per code.
  for (const auto& s : streams) {
    sent += s->sent;
    answered += s->answered;
    opened += s->streams;
    mismatched += s->mismatched;
    for (const auto& [code, n] : s->broken) broken[code] += n;
  }
  report << "| " << how << " | " << kStreams << " streams (" << streams_on_a
         << " on the stopped daemon) | " << opened
         << " streams opened, broken: " << Render(broken) << " | " << sent
         << " documents sent, " << answered
         << " answered (unanswered resent on a new stream) |\n";
  std::cout << report.str();
  for (const auto& [code, message] : plain.messages) {
    if (code != "OK")
      std::cout << "  unary " << code << ": " << message << "\n";
  }
  for (const auto& [code, message] : retried.messages) {
    if (code != "OK")
      std::cout << "  retried " << code << ": " << message << "\n";
  }
  for (const auto& s : streams) {
    for (const auto& [code, message] : s->messages) {
      std::cout << "  stream " << code << ": " << message << "\n";
    }
  }
  RecordProperty("report", report.str());

  // Unary calls with the retry policy always succeed.
  EXPECT_EQ(retried.codes["OK"], [&] {
    int total = 0;
    for (const auto& [code, n] : retried.codes) total += n;
    return total;
  }()) << report.str();
  EXPECT_GT(retried.daemons["b"], 0);
  // No document is lost: every one sent was answered, in order, once the
  // client resent what a broken stream left unanswered.
  EXPECT_EQ(answered, sent) << report.str();
  EXPECT_EQ(mismatched, 0);
  for (const auto& s : streams) {
    for (const auto& [daemon, code] : s->history) {
      // Streams on the surviving daemon never break.
      if (daemon == "b") {
        EXPECT_EQ(code, "OK") << report.str();
      }
    }
  }
  if (signal == SIGKILL) {
    // Every stream pinned to the killed daemon broke.
    for (const auto& s : streams) {
      if (s->first_daemon != "a") continue;
      ASSERT_FALSE(s->history.empty());
      EXPECT_NE(s->history.front().second, "OK") << report.str();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Signals, ScaleOutTest,
                         ::testing::Values(SIGTERM, SIGKILL),
                         [](const auto& info) {
                           return std::string(
                               info.param == SIGTERM ? "Sigterm" : "Sigkill");
                         });

}  // namespace
}  // namespace classifyd
