// classifyd-fault-soak: streams headlines into a running daemon while two
// faulty classifiers misbehave on marker documents mixed into the same
// streams, and checks that nobody else pays: every document for the healthy
// classifier is answered without error, health stays SERVING and fast, and
// the daemon's memory and threads stay flat. bench/fault_soak.sh sets up
// the classifiers and runs it.
//
//   classifyd-fault-soak --addr HOST:PORT --server-pid PID --seconds 60
//       [--crash-every 500 --crash-classifier crashy --crash-marker M]
//       [--hang-every 1000 --hang-classifier hangy --hang-marker M]
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "classifyd/v1/classifier.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace classifyd::bench {
namespace {

struct Options {
  std::string addr;
  pid_t server_pid = 0;
  double seconds = 60;
  int streams = 4;
  int window = 64;
  std::string classifier = "news-topics";
  uint64_t crash_every = 500;
  std::string crash_classifier = "crashy";
  std::string crash_marker = "FAULT-SOAK-CRASH";
  uint64_t hang_every = 1000;
  std::string hang_classifier = "hangy";
  std::string hang_marker = "FAULT-SOAK-HANG";
  std::string headlines = CLASSIFYD_BENCH_HEADLINES;
};

// What a document was for, and how its answer is judged.
enum class Kind { kHealthy, kCrash, kHang };

struct StreamCounts {
  std::atomic<uint64_t> sent{0}, answered{0}, healthy_errors{0};
  std::atomic<uint64_t> crash_docs{0}, crash_errors{0};
  std::atomic<uint64_t> hang_docs{0}, hang_errors{0};
  std::atomic<bool> broken{false};
};

// One stream: a writer that keeps `window` documents in flight and a reader
// that checks each answer against what was sent, in order.
void RunOneStream(const Options& o, const std::vector<std::string>& docs,
                  std::atomic<uint64_t>* global_index,
                  const std::atomic<bool>& stop, StreamCounts* counts) {
  auto stub = v1::Classifier::NewStub(
      grpc::CreateChannel(o.addr, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  auto stream = stub->ClassifyStream(&context);
  std::mutex mu;
  std::condition_variable room;
  std::deque<Kind> in_flight;

  std::thread reader([&] {
    v1::ClassifyResponse response;
    while (stream->Read(&response)) {
      Kind kind;
      {
        std::lock_guard lock(mu);
        if (in_flight.empty()) break;  // An answer nobody asked for.
        kind = in_flight.front();
        in_flight.pop_front();
      }
      room.notify_one();
      counts->answered++;
      const bool failed =
          response.error().code() != 0 ||
          std::any_of(response.classifiers().begin(), response.classifiers().end(),
                      [](const v1::ClassifierRun& r) { return r.status().code() != 0; });
      if (kind == Kind::kHealthy && (failed || response.labels().empty())) {
        if (counts->healthy_errors++ == 0) {
          std::fprintf(stderr, "fault-soak: a healthy document failed: %s\n",
                       response.DebugString().c_str());
        }
      }
      if (kind == Kind::kCrash && failed) counts->crash_errors++;
      if (kind == Kind::kHang && failed) counts->hang_errors++;
    }
  });

  v1::ClassifyRequest request;
  while (!stop.load()) {
    const uint64_t i = (*global_index)++;
    Kind kind = Kind::kHealthy;
    request.Clear();
    const std::string& headline = docs[i % docs.size()];
    request.set_id(std::to_string(i));
    if (o.crash_every > 0 && i % o.crash_every == o.crash_every - 1) {
      kind = Kind::kCrash;
      request.set_text(o.crash_marker + " " + headline);
      request.add_plugins(o.crash_classifier);
    } else if (o.hang_every > 0 && i % o.hang_every == o.hang_every / 2) {
      kind = Kind::kHang;
      request.set_text(o.hang_marker + " " + headline);
      request.add_plugins(o.hang_classifier);
    } else {
      request.set_text(headline);
      request.add_plugins(o.classifier);
    }
    {
      std::unique_lock lock(mu);
      room.wait(lock, [&] { return in_flight.size() < size_t(o.window); });
      in_flight.push_back(kind);
    }
    if (kind == Kind::kCrash) counts->crash_docs++;
    if (kind == Kind::kHang) counts->hang_docs++;
    counts->sent++;
    if (!stream->Write(request)) break;
  }
  stream->WritesDone();
  reader.join();
  const grpc::Status status = stream->Finish();
  if (!status.ok()) {
    counts->broken = true;
    std::fprintf(stderr, "fault-soak: a stream ended with %d: %s\n",
                 status.error_code(), status.error_message().c_str());
  }
}

struct ProbeResult {
  LatencySamples latency;
  int probes = 0, not_serving = 0;
};

// grpc.health.v1 Check of the whole server every 100 ms until `stop`.
void ProbeHealth(const std::string& addr, const std::atomic<bool>& stop,
                 ProbeResult* out) {
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
  auto next = Clock::now();
  while (!stop.load()) {
    next += std::chrono::milliseconds(100);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    const auto start = Clock::now();
    const grpc::Status status = health->Check(&context, request, &response);
    out->latency.Add(Clock::now() - start);
    out->probes++;
    if (!status.ok() ||
        response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
      out->not_serving++;
    }
    std::this_thread::sleep_until(next);
  }
}

struct ProcessSample {
  long rss_kib = -1, threads = -1;
};

int Report(const Options& o, const StreamCounts& c, ProbeResult& probe,
           const ProcessSample& start, const ProcessSample& end,
           const ProcessSample& peak) {
  const double p50 = probe.latency.PercentileMicros(50) / 1000;
  const double p99 = probe.latency.PercentileMicros(99) / 1000;
  const double max = probe.latency.PercentileMicros(100) / 1000;
  std::printf("fault soak: %d streams for %.0f s\n", o.streams, o.seconds);
  if (o.crash_every > 0) {
    std::printf("  every %llu-th document crashes '%s'\n",
                (unsigned long long)o.crash_every, o.crash_classifier.c_str());
  }
  if (o.hang_every > 0) {
    std::printf("  every %llu-th document hangs '%s'\n",
                (unsigned long long)o.hang_every, o.hang_classifier.c_str());
  }
  std::printf("documents: %llu sent, %llu answered; healthy ones failed: %llu\n",
              (unsigned long long)c.sent, (unsigned long long)c.answered,
              (unsigned long long)c.healthy_errors);
  std::printf("crash documents: %llu (%llu answered with an error); hang "
              "documents: %llu (%llu with an error)\n",
              (unsigned long long)c.crash_docs, (unsigned long long)c.crash_errors,
              (unsigned long long)c.hang_docs, (unsigned long long)c.hang_errors);
  std::printf("health: %d probes, %d not SERVING; latency p50 %.2f ms, p99 "
              "%.2f ms, max %.2f ms\n",
              probe.probes, probe.not_serving, p50, p99, max);
  std::printf("daemon: RSS %ld -> %ld KiB (peak %ld), threads %ld -> %ld "
              "(peak %ld)\n",
              start.rss_kib, end.rss_kib, peak.rss_kib, start.threads,
              end.threads, peak.threads);
  bool ok = true;
  auto check = [&](bool pass, const std::string& what) {
    std::printf("  %s  %s\n", pass ? "PASS" : "FAIL", what.c_str());
    ok = ok && pass;
  };
  check(c.sent == c.answered && !c.broken, "every document answered, no stream broken");
  check(c.healthy_errors == 0, "no healthy document failed");
  check(probe.not_serving == 0, "health SERVING throughout");
  check(p99 <= 50, "health p99 <= 50 ms");
  check(end.rss_kib <= start.rss_kib * 11 / 10, "RSS within 10 % of its start");
  check(end.threads <= start.threads + 8, "threads within 8 of their start");
  return ok ? 0 : 1;
}

int Main(int argc, char** argv) {
  CLI::App app("classifyd-fault-soak: streams while classifiers crash and hang");
  Options o;
  app.add_option("--addr", o.addr, "daemon address, HOST:PORT")->required();
  app.add_option("--server-pid", o.server_pid, "daemon pid (RSS, threads)")->required();
  app.add_option("--seconds", o.seconds, "length of the soak")->capture_default_str();
  app.add_option("--streams", o.streams, "concurrent streams")->capture_default_str();
  app.add_option("--window", o.window, "documents in flight per stream")
      ->capture_default_str();
  app.add_option("--classifier", o.classifier, "the healthy classifier")
      ->capture_default_str();
  app.add_option("--crash-every", o.crash_every, "0: none")->capture_default_str();
  app.add_option("--crash-classifier", o.crash_classifier)->capture_default_str();
  app.add_option("--crash-marker", o.crash_marker)->capture_default_str();
  app.add_option("--hang-every", o.hang_every, "0: none")->capture_default_str();
  app.add_option("--hang-classifier", o.hang_classifier)->capture_default_str();
  app.add_option("--hang-marker", o.hang_marker)->capture_default_str();
  app.add_option("--headlines", o.headlines, "one document per line")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const std::vector<std::string> docs = ReadHeadlines(o.headlines);
  std::atomic<bool> stop{false}, probe_stop{false};
  std::atomic<uint64_t> index{0};
  StreamCounts counts;
  ProbeResult probe;
  std::thread prober(ProbeHealth, o.addr, std::cref(probe_stop), &probe);
  std::vector<std::thread> streams;
  for (int s = 0; s < o.streams; ++s) {
    streams.emplace_back(RunOneStream, std::cref(o), std::cref(docs), &index,
                         std::cref(stop), &counts);
  }
  // Memory and threads are taken from 5 s in, once the streams, workers and
  // child processes have started, to the end.
  const auto sample = [&] {
    return ProcessSample{ReadProcessStatus(o.server_pid, "VmRSS:"),
                         ReadProcessStatus(o.server_pid, "Threads:")};
  };
  const auto begin = Clock::now();
  ProcessSample start, peak;
  for (int second = 1; second <= int(o.seconds); ++second) {
    std::this_thread::sleep_until(begin + std::chrono::seconds(second));
    const ProcessSample now = sample();
    if (second == std::min(5, int(o.seconds))) start = now;
    peak.rss_kib = std::max(peak.rss_kib, now.rss_kib);
    peak.threads = std::max(peak.threads, now.threads);
  }
  stop = true;
  for (std::thread& t : streams) t.join();
  probe_stop = true;
  prober.join();
  return Report(o, counts, probe, start, sample(), peak);
}

}  // namespace
}  // namespace classifyd::bench

int main(int argc, char** argv) { return classifyd::bench::Main(argc, argv); }
