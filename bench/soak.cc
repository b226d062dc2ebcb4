// classifyd-soak: streams documents into a running daemon while reloading a
// classifier through the admin API at a fixed interval, and reports what
// the reloads cost: docs/s and p99 before and during reloads, failed
// requests, and the daemon's resident memory at start and end.
//
//   classifyd-soak --addr 127.0.0.1:50051 --server-pid PID
//       --admin-socket /run/classifyd/admin.sock --seconds 60
#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "bench_common.h"
#include "classifyd/v1/admin.grpc.pb.h"
#include "grpc_load.h"

namespace classifyd::bench {
namespace {

// Resident set size of `pid` in KiB (VmRSS), or 0 if unknown.
long ResidentKib(pid_t pid) {
  return std::max(0L, ReadProcessStatus(pid, "VmRSS:"));
}

struct ReloadStats {
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
};

// Reloads `classifier` every `interval` until `stop`.
void ReloadLoop(const std::string& admin_socket, const std::string& classifier,
                std::chrono::milliseconds interval, std::atomic<bool>* stop,
                ReloadStats* stats) {
  auto admin = v1::PluginAdmin::NewStub(grpc::CreateChannel(
      "unix:" + admin_socket, grpc::InsecureChannelCredentials()));
  auto next = Clock::now();
  while (!stop->load()) {
    next += interval;
    v1::ReloadRequest request;
    request.set_name(classifier);
    v1::ReloadResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    grpc::Status status = admin->Reload(&context, request, &response);
    if (status.ok() && response.loaded() == 1) {
      stats->ok++;
    } else {
      stats->failed++;
      if (stats->failed == 1) {
        std::cerr << "soak: reload failed: "
                  << (status.ok() ? "nothing loaded" : status.error_message())
                  << "\n";
      }
    }
    std::this_thread::sleep_until(next);
  }
}

int Main(int argc, char** argv) {
  CLI::App app("classifyd-soak: streaming traffic under periodic reloads");
  LoadOptions load;
  load.addr = "127.0.0.1:50051";
  load.streams = 4;
  std::string admin_socket;
  std::string classifier = "news-topics";
  std::string headlines = CLASSIFYD_BENCH_HEADLINES;
  double baseline_seconds = 10;
  double seconds = 60;
  int interval_ms = 1000;
  app.add_option("--addr", load.addr, "daemon address")->capture_default_str();
  app.add_option("--admin-socket", admin_socket, "daemon admin socket")
      ->required();
  app.add_option("--classifier", classifier, "classifier to reload")
      ->capture_default_str();
  app.add_option("--server-pid", load.server_pid, "daemon pid (CPU, RSS)")
      ->required();
  app.add_option("--streams", load.streams, "concurrent streams")
      ->capture_default_str();
  app.add_option("--baseline-seconds", baseline_seconds,
                 "streaming without reloads first")
      ->capture_default_str();
  app.add_option("--seconds", seconds, "streaming with reloads")
      ->capture_default_str();
  app.add_option("--reload-interval-ms", interval_ms, "time between reloads")
      ->capture_default_str();
  app.add_option("--headlines", headlines, "one document per line")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const std::vector<std::string> docs =
      BuildDocuments(ReadHeadlines(headlines), "headline");
  load.docs = &docs;
  load.input = "headline";
  load.classifier = classifier;
  load.warmup_seconds = 1;

  const long rss_start = ResidentKib(load.server_pid);
  load.duration_seconds = baseline_seconds;
  const Result before = RunStream(load);
  const long rss_after_baseline = ResidentKib(load.server_pid);

  std::atomic<bool> stop{false};
  ReloadStats reloads;
  std::thread reloader(ReloadLoop, admin_socket, classifier,
                       std::chrono::milliseconds(interval_ms), &stop,
                       &reloads);
  load.warmup_seconds = 0;
  load.duration_seconds = seconds;
  Result during = RunStream(load);
  stop = true;
  reloader.join();
  std::this_thread::sleep_for(std::chrono::seconds(1));  // Let retirement finish.
  const long rss_end = ResidentKib(load.server_pid);

  const double growth =
      rss_after_baseline > 0
          ? 100.0 * (rss_end - rss_after_baseline) / rss_after_baseline
          : 0;
  std::printf("soak: %d streams, reload of '%s' every %d ms\n", load.streams,
              classifier.c_str(), interval_ms);
  std::printf("%-16s %12s %12s %12s %10s\n", "phase", "docs/s", "p50 us",
              "p99 us", "errors");
  std::printf("%-16s %12.0f %12.0f %12.0f %10llu\n", "before reloads",
              before.docs_per_second(), before.p50_us, before.p99_us,
              static_cast<unsigned long long>(before.errors));
  std::printf("%-16s %12.0f %12.0f %12.0f %10llu\n", "during reloads",
              during.docs_per_second(), during.p50_us, during.p99_us,
              static_cast<unsigned long long>(during.errors));
  std::printf("reloads: %d ok, %d failed\n", reloads.ok.load(),
              reloads.failed.load());
  std::printf("server RSS: start %ld KiB, after baseline %ld KiB, end %ld KiB "
              "(%+.1f%% across the reloads)\n",
              rss_start, rss_after_baseline, rss_end, growth);
  return before.errors + during.errors == 0 && reloads.failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace classifyd::bench

int main(int argc, char** argv) { return classifyd::bench::Main(argc, argv); }
