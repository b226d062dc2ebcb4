// The Prometheus endpoint of the real daemon: requests over gRPC, then
// scrapes over real HTTP, checking that counters moved by exactly what was
// sent, that histograms are consistent, and that the state gauges agree
// with ListPlugins.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "classifyd/v1/admin.grpc.pb.h"
#include "classifyd/v1/classifier.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/classify_call.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using testing::DaemonProcess;
using ::testing::HasSubstr;
using testing::KeywordManifest;

using Labels = std::map<std::string, std::string>;

// One sample line of a scrape.
struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
};

// Parses text format 0.0.4 sample lines (comments skipped); label values
// are unescaped. Fails the test on a line it cannot read.
std::vector<Sample> ParseScrape(const std::string& text) {
  std::vector<Sample> samples;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    Sample s;
    size_t i = line.find_first_of("{ ");
    s.name = line.substr(0, i);
    if (i != std::string::npos && line[i] == '{') {
      ++i;
      while (line[i] != '}') {
        const size_t eq = line.find('=', i);
        const std::string key = line.substr(i, eq - i);
        std::string value;
        size_t j = eq + 2;  // Past ="
        for (; line[j] != '"'; ++j) {
          if (line[j] == '\\') {
            ++j;
            value += line[j] == 'n' ? '\n' : line[j];
          } else {
            value += line[j];
          }
        }
        s.labels[key] = value;
        i = j + 1;
        if (line[i] == ',') ++i;
      }
      ++i;
    }
    s.value = std::stod(line.substr(i + 1));
    samples.push_back(std::move(s));
  }
  return samples;
}

class Scrape {
 public:
  explicit Scrape(std::string text)
      : text_(std::move(text)), samples_(ParseScrape(text_)) {}

  // The value of the series, or 0 if it is absent (a counter not yet
  // created counts as zero).
  double Get(const std::string& name, const Labels& labels = {}) const {
    for (const Sample& s : samples_) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    return 0;
  }
  bool Has(const std::string& name, const Labels& labels = {}) const {
    for (const Sample& s : samples_) {
      if (s.name == name && s.labels == labels) return true;
    }
    return false;
  }

  // Checks a histogram series: buckets cumulative, +Inf == _count.
  void ExpectConsistentHistogram(const std::string& name,
                                 const Labels& labels) const {
    double previous = 0;
    double inf = -1;
    int buckets = 0;
    for (const Sample& s : samples_) {
      if (s.name != name + "_bucket") continue;
      Labels rest = s.labels;
      const std::string le = rest["le"];
      rest.erase("le");
      if (rest != labels) continue;
      ++buckets;
      EXPECT_GE(s.value, previous) << name << " le=" << le;
      previous = s.value;
      if (le == "+Inf") inf = s.value;
    }
    EXPECT_GT(buckets, 1) << name;
    EXPECT_EQ(inf, Get(name + "_count", labels)) << name;
    EXPECT_GE(Get(name + "_sum", labels), 0) << name;
    EXPECT_TRUE(Has(name + "_sum", labels)) << name;
  }

  // The labels of the first `name` series of classifier `classifier`.
  Labels LabelsOf(const std::string& name,
                  const std::string& classifier) const {
    for (const Sample& s : samples_) {
      auto it = s.labels.find("classifier");
      if (s.name == name && it != s.labels.end() && it->second == classifier) {
        return s.labels;
      }
    }
    return {};
  }

  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::vector<Sample> samples_;
};

class MetricsTest : public ::testing::Test {
 protected:
  void Start(const std::map<std::string, std::string>& manifests) {
    for (const auto& [name, text] : manifests) plugins_.WriteFile(name, text);
    const std::string port_file = files_.path() + "/metrics.port";
    daemon_ = DaemonProcess::Start(
        plugins_.path(),
        {"--metrics-listen", "127.0.0.1:0", "--metrics-port-file", port_file,
         "--watch", "false"});
    ASSERT_NE(daemon_, nullptr);
    std::ifstream(port_file) >> metrics_port_;
    ASSERT_GT(metrics_port_, 0);
    stub_ = v1::Classifier::NewStub(daemon_->NewChannel());
  }

  Scrape Get() {
    httplib::Client client("127.0.0.1", metrics_port_);
    client.set_read_timeout(30, 0);
    auto res = client.Get("/metrics");
    EXPECT_TRUE(res) << httplib::to_string(res.error());
    if (!res) return Scrape("");
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"),
              "text/plain; version=0.0.4; charset=utf-8");
    return Scrape(res->body);
  }

  grpc::Status Classify(const std::string& text,
                        const std::string& plugin = "") {
    v1::ClassifyResponse response;
    std::vector<std::string> classifiers;
    if (!plugin.empty()) classifiers.push_back(plugin);
    return testing::ClassifyText(*stub_, text, &response, classifiers,
                                 std::chrono::seconds(30));
  }

  v1::ListPluginsResponse ListPlugins() {
    v1::ListPluginsResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(
        stub_->ListPlugins(&context, v1::ListPluginsRequest(), &response).ok());
    return response;
  }

  testing::TempDir plugins_;
  testing::TempDir files_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::Classifier::Stub> stub_;
  int metrics_port_ = 0;
};

TEST_F(MetricsTest, CountersMoveByExactlyWhatWasSent) {
  ASSERT_NO_FATAL_FAILURE(
      Start({{"rules.toml", KeywordManifest("台风=weather;股=finance")}}));
  const Scrape before = Get();

  // Unary: 3 labelled, 2 invalid (empty text; plugin's fail marker),
  // 1 unknown classifier.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Classify("强台风登陆").ok());
  EXPECT_EQ(Classify("").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Classify("FAIL here").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Classify("台风", "nope").error_code(), grpc::StatusCode::NOT_FOUND);

  // Batch: 2 finance, 1 without labels, 1 empty (its own error).
  {
    v1::ClassifyBatchRequest request;
    for (const char* text : {"A股大涨", "股市", "今天天气", ""}) {
      request.add_documents()->set_text(text);
    }
    v1::ClassifyBatchResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ClassifyBatch(&context, request, &response).ok());
  }

  // Stream: 5 weather documents, closed cleanly.
  {
    grpc::ClientContext context;
    auto stream = stub_->ClassifyStream(&context);
    for (int i = 0; i < 5; ++i) {
      v1::ClassifyRequest request;
      request.set_id(std::to_string(i));
      request.set_text("台风预警");
      ASSERT_TRUE(stream->Write(request));
    }
    ASSERT_TRUE(stream->WritesDone());
    v1::ClassifyResponse response;
    int answered = 0;
    while (stream->Read(&response)) ++answered;
    EXPECT_EQ(answered, 5);
    ASSERT_TRUE(stream->Finish().ok());
  }

  // The gauges of open streams and unary calls drop in OnDone, which may
  // run just after the client has seen the end of its call: wait for them.
  Scrape after = Get();
  for (int i = 0; i < 300 && (after.Get("classifyd_open_streams") != 0 ||
                              after.Get("classifyd_inflight_unary_requests") !=
                                  0);
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    after = Get();
  }
  auto delta = [&](const std::string& name, const Labels& labels) {
    return after.Get(name, labels) - before.Get(name, labels);
  };
  const std::string req = "classifyd_requests_total";
  EXPECT_EQ(delta(req, {{"rpc", "Classify"}, {"code", "OK"}}), 3);
  EXPECT_EQ(delta(req, {{"rpc", "Classify"}, {"code", "INVALID_ARGUMENT"}}), 2);
  EXPECT_EQ(delta(req, {{"rpc", "Classify"}, {"code", "NOT_FOUND"}}), 1);
  EXPECT_EQ(delta(req, {{"rpc", "ClassifyBatch"}, {"code", "OK"}}), 1);
  EXPECT_EQ(delta(req, {{"rpc", "ClassifyStream"}, {"code", "OK"}}), 1);

  const std::string docs = "classifyd_documents_total";
  EXPECT_EQ(delta(docs, {{"rpc", "Classify"}, {"outcome", "OK"}}), 3);
  EXPECT_EQ(delta(docs, {{"rpc", "Classify"}, {"outcome", "INVALID_ARGUMENT"}}),
            2);
  EXPECT_EQ(delta(docs, {{"rpc", "Classify"}, {"outcome", "NOT_FOUND"}}), 1);
  EXPECT_EQ(delta(docs, {{"rpc", "ClassifyBatch"}, {"outcome", "OK"}}), 3);
  EXPECT_EQ(
      delta(docs, {{"rpc", "ClassifyBatch"}, {"outcome", "INVALID_ARGUMENT"}}),
      1);
  EXPECT_EQ(delta(docs, {{"rpc", "ClassifyStream"}, {"outcome", "OK"}}), 5);

  // The classifier saw what passed validation: 4 unary, 3 batch, 5 stream.
  const Labels rules = {{"classifier", "rules"}};
  EXPECT_EQ(delta("classifyd_classifier_documents_total", rules), 12);
  EXPECT_EQ(delta("classifyd_classifier_errors_total", rules), 1);
  EXPECT_EQ(delta("classifyd_labels_total",
                  {{"classifier", "rules"}, {"label", "weather"}}),
            8);
  EXPECT_EQ(delta("classifyd_labels_total",
                  {{"classifier", "rules"}, {"label", "finance"}}),
            2);

  const std::string latency = "classifyd_request_duration_seconds";
  EXPECT_EQ(delta(latency + "_count", {{"rpc", "Classify"}}), 6);
  EXPECT_EQ(delta(latency + "_count", {{"rpc", "ClassifyBatch"}}), 1);
  after.ExpectConsistentHistogram(latency, {{"rpc", "Classify"}});
  after.ExpectConsistentHistogram(latency, {{"rpc", "ClassifyBatch"}});
  // One plugin call per unary document and for the batch; the stream's 5
  // documents took between 1 and 5 calls, depending on how they queued.
  const std::string batch = "classifyd_classifier_batch_duration_seconds";
  EXPECT_GE(delta(batch + "_count", rules), 6);
  EXPECT_LE(delta(batch + "_count", rules), 10);
  after.ExpectConsistentHistogram(batch, rules);

  EXPECT_EQ(after.Get("classifyd_open_streams"), 0);
  EXPECT_EQ(after.Get("classifyd_inflight_unary_requests"), 0);
  EXPECT_GT(after.Get("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(after.Get("process_open_fds"), 2);
  EXPECT_GT(after.Get("process_start_time_seconds"), 1.6e9);
  EXPECT_EQ(after.Get("classifyd_build_info", {{"version", "0.1.0"}}), 1);
  EXPECT_THAT(after.text(),
              HasSubstr("# TYPE classifyd_requests_total counter\n"));
  EXPECT_THAT(after.text(), HasSubstr("# TYPE " + latency + " histogram\n"));
}

TEST_F(MetricsTest, OpenStreamGaugeFollowsStreams) {
  ASSERT_NO_FATAL_FAILURE(
      Start({{"rules.toml", KeywordManifest("台风=weather")}}));
  grpc::ClientContext context;
  auto stream = stub_->ClassifyStream(&context);
  v1::ClassifyRequest request;
  request.set_text("台风");
  ASSERT_TRUE(stream->Write(request));
  v1::ClassifyResponse response;
  ASSERT_TRUE(stream->Read(&response));  // The server has it open.
  EXPECT_EQ(Get().Get("classifyd_open_streams"), 1);
  ASSERT_TRUE(stream->WritesDone());
  ASSERT_TRUE(stream->Finish().ok());
  // OnDone (which closes the gauge) may run just after the client sees
  // the end of the call: poll.
  double open = -1;
  for (int i = 0; i < 300 && open != 0; ++i) {
    open = Get().Get("classifyd_open_streams");
    if (open != 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(open, 0);
}

TEST_F(MetricsTest, StateGaugesMatchListPluginsAndReloadsAreCounted) {
  ASSERT_NO_FATAL_FAILURE(
      Start({{"rules.toml", KeywordManifest("台风=weather")},
             {"broken.toml",
              KeywordManifest("台风=weather", "fail_create = \"true\"")}}));
  Scrape scrape = Get();
  const auto check_states = [&](const Scrape& s) {
    const v1::ListPluginsResponse list = ListPlugins();
    for (const v1::PluginInfo& p : list.plugins()) {
      for (const char* state : {"LOADING", "READY", "FAILED", "UNLOADING"}) {
        EXPECT_EQ(s.Get("classifyd_classifier_state",
                        {{"classifier", p.name()}, {"state", state}}),
                  v1::PluginInfo::State_Name(p.state()) == state ? 1 : 0)
            << p.name() << " " << state;
      }
      if (p.generation() > 0) {
        EXPECT_EQ(s.Get("classifyd_classifier_generation",
                        {{"classifier", p.name()}}),
                  static_cast<double>(p.generation()))
            << p.name();
      }
    }
  };
  check_states(scrape);
  EXPECT_EQ(scrape.Get("classifyd_classifier_state",
                       {{"classifier", "broken"}, {"state", "FAILED"}}),
            1);
  // Start-up was one rescan, and it failed to load `broken`.
  EXPECT_EQ(scrape.Get("classifyd_reloads_total",
                       {{"trigger", "rescan"}, {"outcome", "failed"}}),
            1);
  EXPECT_EQ(scrape.Get("classifyd_plugin_load_failures_total"), 1);
  const double generation =
      scrape.Get("classifyd_classifier_generation", {{"classifier", "rules"}});
  EXPECT_GT(generation, 0);

  // A forced reload over the admin socket.
  auto admin = v1::PluginAdmin::NewStub(daemon_->NewAdminChannel());
  v1::ReloadRequest request;
  request.set_name("rules");
  v1::ReloadResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  ASSERT_TRUE(admin->Reload(&context, request, &response).ok());
  ASSERT_EQ(response.loaded(), 1);

  scrape = Get();
  EXPECT_EQ(scrape.Get("classifyd_reloads_total",
                       {{"trigger", "reload"}, {"outcome", "changed"}}),
            1);
  EXPECT_GT(
      scrape.Get("classifyd_classifier_generation", {{"classifier", "rules"}}),
      generation);
  check_states(scrape);
  // The info series names the version now serving.
  const Labels info = scrape.LabelsOf("classifyd_classifier_info", "rules");
  ASSERT_FALSE(info.empty()) << scrape.text();
  EXPECT_EQ(info.at("generation"),
            std::to_string(static_cast<uint64_t>(scrape.Get(
                "classifyd_classifier_generation", {{"classifier", "rules"}}))));
  EXPECT_THAT(info.at("library"), ::testing::EndsWith(".so"));
  EXPECT_FALSE(info.at("plugin").empty());
  EXPECT_FALSE(info.at("version").empty());
  EXPECT_TRUE(info.count("model"));
  // A classifier that never loaded has no version to describe.
  EXPECT_TRUE(scrape.LabelsOf("classifyd_classifier_info", "broken").empty());
}

TEST_F(MetricsTest, LandingPageLinksToMetrics) {
  ASSERT_NO_FATAL_FAILURE(Start({{"rules.toml", KeywordManifest("台风=weather")}}));
  httplib::Client client("127.0.0.1", metrics_port_);
  auto res = client.Get("/");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"),
              ::testing::StartsWith("text/html"));
  EXPECT_THAT(res->body, ::testing::HasSubstr("<a href=\"/metrics\">"));
  EXPECT_EQ(client.Get("/nothing-here")->status, 404);
}

TEST_F(MetricsTest, TimedOutPluginCallsAndStuckCallsAreExposed) {
  // crash_hang hangs on "HANG" until the release file exists.
  const std::string release = files_.path() + "/release";
  ASSERT_NO_FATAL_FAILURE(Start(
      {{"rules.toml", KeywordManifest("台风=weather")},
       {"hang.toml", "plugin = \"" + testing::TestPluginDir() +
                         "/crash_hang.so\"\ntimeout_ms = 1500\n[options]\n"
                         "hang_marker = \"HANG\"\nrelease_file = \"" +
                         release + "\"\n"}}));
  const Labels hang = {{"classifier", "hang"}};
  const Labels rules = {{"classifier", "rules"}};
  const Scrape before = Get();
  EXPECT_EQ(before.Get("classifyd_classifier_stuck_calls", hang), 0);
  EXPECT_TRUE(before.Has("classifyd_classifier_stuck_calls", hang));

  ASSERT_TRUE(Classify("台风 HANG").ok());  // hang times out, rules answer.
  ASSERT_TRUE(Classify("台风").ok());       // hang is skipped.
  Scrape after = Get();
  auto delta = [&](const std::string& name, const Labels& labels) {
    return after.Get(name, labels) - before.Get(name, labels);
  };
  EXPECT_EQ(delta("classifyd_classifier_timeouts_total", hang), 1);
  EXPECT_EQ(delta("classifyd_classifier_timeouts_total", rules), 0);
  EXPECT_TRUE(after.Has("classifyd_classifier_timeouts_total", rules));
  EXPECT_EQ(delta("classifyd_classifier_errors_total", hang), 2);
  EXPECT_EQ(delta("classifyd_classifier_documents_total", hang), 2);
  EXPECT_EQ(after.Get("classifyd_classifier_stuck_calls", hang), 1);
  EXPECT_EQ(after.Get("classifyd_classifier_stuck_calls", rules), 0);
  // Labelled by rules both times: the documents themselves are OK.
  EXPECT_EQ(delta("classifyd_documents_total",
                  {{"rpc", "Classify"}, {"outcome", "OK"}}),
            2);
  EXPECT_EQ(ListPlugins().plugins(0).name(), "hang");
  EXPECT_EQ(ListPlugins().plugins(0).stuck_calls(), 1u);

  std::ofstream{release};
  for (int i = 0;
       i < 600 && after.Get("classifyd_classifier_stuck_calls", hang) != 0;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    after = Get();
  }
  EXPECT_EQ(after.Get("classifyd_classifier_stuck_calls", hang), 0);
  EXPECT_EQ(delta("classifyd_classifier_timeouts_total", hang), 1);
}

// Runs the daemon binary with `args` until it exits; its exit status and
// output (stdout and stderr).
std::pair<int, std::string> RunDaemon(const std::string& args) {
  const std::string command = testing::DaemonBinary() + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    output.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(MetricsListenTest, MalformedAddressIsRefusedAtStartup) {
  auto [code, output] = RunDaemon("--metrics-listen localhost");
  EXPECT_EQ(code, 2);
  EXPECT_THAT(output, HasSubstr("'localhost' is not HOST:PORT"));
  std::tie(code, output) = RunDaemon("--metrics-listen 127.0.0.1:99999");
  EXPECT_EQ(code, 2);
  EXPECT_THAT(output, HasSubstr("port must be a number from 0 to 65535"));
}

TEST(MetricsListenTest, PortInUseFailsStartupClearly) {
  // Hold a loopback port so that the daemon cannot bind it.
  const testing::HeldLoopbackPort held;
  ASSERT_NE(held.port(), 0);
  const int port = held.port();

  testing::TempDir dir;
  auto [code, output] = RunDaemon(
      "--listen 127.0.0.1:0 --admin-socket none --watch false --plugin-dir " +
      dir.path() + " --runtime-dir " + dir.path() +
      " --metrics-listen 127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(code, 1);
  EXPECT_THAT(output, HasSubstr("--metrics-listen: cannot listen on "
                                "'127.0.0.1:" +
                                std::to_string(port) + "'"));
}

}  // namespace
}  // namespace classifyd
