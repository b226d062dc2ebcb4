// classifyd-bench: load generator and reference benchmark for classifyd.
//
//   classifyd-bench unary  --addr HOST:PORT --concurrency 16 --input 1k
//   classifyd-bench stream --addr HOST:PORT --streams 4 --window 256
//   classifyd-bench batch  --addr HOST:PORT --batch 64
//   classifyd-bench http-unary --addr HOST:HTTP_PORT --concurrency 16
//   classifyd-bench http-batch --addr HOST:HTTP_PORT --batch 64
//   classifyd-bench inprocess --model model.ftz --input 10k
//   classifyd-bench wait   --addr HOST:PORT --classifier news-topics
//   classifyd-bench report results.tsv
//
// Every run prints docs/s, p50/p99 latency (per document, or per call for
// batch) and, with --server-pid, the server's CPU time per document, read
// from /proc/<pid>/stat around the measured window. See bench/README.md.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "bench_common.h"
#include "client_run.h"
#include "grpc_load.h"
#include "http_load.h"
#include "inprocess.h"
#include "report.h"

#ifndef CLASSIFYD_BENCH_HEADLINES
#define CLASSIFYD_BENCH_HEADLINES "bench/data/headlines.txt"
#endif

namespace classifyd::bench {
namespace {

struct Common {
  std::string input = "headline";
  std::string headlines = CLASSIFYD_BENCH_HEADLINES;
  double warmup = 0.5;
  double duration = 3;
  std::string tsv;
  std::string label;  // Replaces the scenario name in the result.
};

void AddCommon(CLI::App* app, Common& c) {
  app->add_option("--input", c.input, "headline, 1k or 10k")
      ->check(CLI::IsMember({"headline", "1k", "10k"}))
      ->capture_default_str();
  app->add_option("--headlines", c.headlines,
                  "Headline file, one per line; documents are built from it")
      ->capture_default_str();
  app->add_option("--warmup", c.warmup,
                  "Seconds of load before the measured run, not counted "
                  "(gRPC modes: a separate run of this length)")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  app->add_option("--duration", c.duration,
                  "Seconds of measured load. gRPC modes stop issuing work "
                  "then and count everything until the last answer")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
  app->add_option("--tsv", c.tsv,
                  "Append the result as a TSV row to this file (header "
                  "written when the file is new)");
  app->add_option("--label", c.label,
                  "Scenario name to record instead of the mode's own, e.g. "
                  "stream-x1@python for a peer server's run");
}

void AddLoad(CLI::App* app, LoadOptions& o) {
  app->add_option("--addr", o.addr, "Daemon address, HOST:PORT")->required();
  app->add_option("--server-pid", o.server_pid,
                  "Daemon process id, to measure its CPU time per document");
  app->add_option("--classifier", o.classifier,
                  "Ask for this classifier only (ClassifyRequest.plugins); "
                  "default: every ready classifier");
  app->add_option("--channels", o.channels,
                  "gRPC channels (TCP connections) to spread calls over")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
}

int Emit(Result r, const Common& c) {
  if (!c.label.empty()) r.scenario = c.label;
  std::cout << ResultText(r) << std::flush;
  if (!c.tsv.empty()) {
    const bool fresh = !std::ifstream(c.tsv).good() ||
                       std::ifstream(c.tsv).peek() == std::ifstream::traits_type::eof();
    std::ofstream out(c.tsv, std::ios::app);
    if (fresh) out << ResultTsvHeader() << "\n";
    out << ResultTsvRow(r) << "\n";
    if (!out) {
      std::cerr << "classifyd-bench: cannot write '" << c.tsv << "'\n";
      return 1;
    }
  }
  if (r.docs == 0) {
    std::cerr << "classifyd-bench: no document answered in the window\n";
    return 1;
  }
  if (r.errors > 0) {
    std::cerr << "classifyd-bench: " << r.errors << " errors\n";
    return 1;
  }
  return 0;
}

int Main(int argc, char** argv) {
  CLI::App app(
      "classifyd-bench: drives a running classifyd over gRPC (unary, stream, "
      "batch) or runs the fastText plugin's work in-process, and reports "
      "docs/s, latency percentiles and server CPU time per document.");
  app.require_subcommand(1);

  Common common;
  LoadOptions load;
  InProcessOptions inproc;

  CLI::App* unary = app.add_subcommand(
      "unary", "Unary Classify calls, `--concurrency` in flight; latency per "
               "document (= per call)");
  AddCommon(unary, common);
  AddLoad(unary, load);
  unary->add_option("--concurrency,-c", load.concurrency, "Calls in flight")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();

  CLI::App* stream = app.add_subcommand(
      "stream", "ClassifyStream over `--streams` streams, each keeping up to "
                "`--window` documents unanswered; latency per document, from "
                "its write to its response");
  AddCommon(stream, common);
  AddLoad(stream, load);
  stream->add_option("--streams,-s", load.streams, "Concurrent streams")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  stream->add_option("--window,-w", load.window,
                     "Documents in flight per stream")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  stream->add_option("--window-bytes", load.window_bytes,
                     "Lower the window so its documents hold at most this "
                     "many bytes (0: no limit)")
      ->capture_default_str();
  stream->add_flag("--coalesce-writes", load.coalesce_writes,
                   "Set the gRPC buffer hint on writes that are followed at "
                   "once by another, so several documents share a flush");

  CLI::App* batch = app.add_subcommand(
      "batch", "ClassifyBatch calls of `--batch` documents, `--concurrency` "
               "in flight; latency per call");
  AddCommon(batch, common);
  AddLoad(batch, load);
  batch->add_option("--batch,-b", load.batch, "Documents per call")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  batch->add_option("--concurrency,-c", load.batch_concurrency,
                    "Calls in flight (2 keeps the server busy while the "
                    "next call is sent)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();

  CLI::App* http_unary = app.add_subcommand(
      "http-unary", "POST /v1/classify (JSON) over `--concurrency` keep-alive "
                    "connections, one call in flight each; --addr is the "
                    "HTTP listener's; latency per document");
  AddCommon(http_unary, common);
  AddLoad(http_unary, load);
  http_unary->add_option("--concurrency,-c", load.concurrency, "Calls in flight")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();

  CLI::App* http_batch = app.add_subcommand(
      "http-batch", "POST /v1/classify:batch (JSON) of `--batch` documents, "
                    "`--concurrency` calls in flight; latency per call");
  AddCommon(http_batch, common);
  AddLoad(http_batch, load);
  http_batch->add_option("--batch,-b", load.batch, "Documents per call")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  http_batch->add_option("--concurrency,-c", load.batch_concurrency,
                         "Calls in flight")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();

  CLI::App* inprocess = app.add_subcommand(
      "inprocess", "The plugin's tokenise + predict loop on one thread in "
                   "this process: the reference limit; latency per document");
  AddCommon(inprocess, common);
  inprocess->add_option("--model", inproc.model_path, "fastText model (.ftz/.bin)")
      ->required()
      ->check(CLI::ExistingFile);
  inprocess->add_option("--top-k", inproc.top_k,
                        "labels kept per document (the plugin uses "
                        "min(request top_k, manifest top_k); default 5)")
      ->capture_default_str();
  inprocess->add_option("--threshold", inproc.threshold,
                        "minimum score of a kept label (the plugin "
                        "uses max(manifest threshold, the min_score the "
                        "daemon passes, which is 0))")
      ->capture_default_str();

  ClientRunOptions client_run;
  CLI::App* client = app.add_subcommand(
      "client", "Runs a streaming client (e.g. `classifyctl stream "
                "--text-lines`) on `--count` documents, one per line on its "
                "stdin, and measures the daemon's CPU per document; give the "
                "command after `--`");
  AddCommon(client, common);
  client->add_option("--server-pid", client_run.server_pid, "Daemon process id")
      ->required();
  client->add_option("--count", client_run.count, "Documents to send")
      ->check(CLI::Range(size_t{1}, size_t{100'000'000}))
      ->capture_default_str();
  client->add_option("command", client_run.command, "The client and its arguments")
      ->required();

  std::string wait_addr, wait_classifier;
  double wait_timeout = 30;
  CLI::App* wait = app.add_subcommand(
      "wait", "Wait until the daemon answers ListPlugins with the classifier "
              "READY");
  wait->add_option("--addr", wait_addr, "Daemon address, HOST:PORT")->required();
  wait->add_option("--classifier", wait_classifier,
                   "Classifier to wait for; default any");
  wait->add_option("--timeout", wait_timeout, "Seconds")->capture_default_str();

  std::string report_path;
  CLI::App* report = app.add_subcommand(
      "report", "Medians of the TSV rows of repeated runs, ratios against "
                "in-process, and the targets, as a Markdown table");
  report->add_option("results", report_path, "TSV written with --tsv")
      ->required();

  CLI11_PARSE(app, argc, argv);

  try {
    if (*report) {
      std::cout << Report(report_path);
      return 0;
    }
    if (*wait) {
      std::string description;
      const std::string why =
          WaitReady(wait_addr, wait_classifier, wait_timeout, &description);
      if (!why.empty()) {
        std::cerr << "classifyd-bench: daemon not ready: " << why << "\n";
        return 1;
      }
      std::cout << description;
      return 0;
    }
    const std::vector<std::string> headlines = ReadHeadlines(common.headlines);
    const std::vector<std::string> docs = BuildDocuments(headlines, common.input);
    if (*client) {
      client_run.docs = &docs;
      client_run.input = common.input;
      Result r = RunClient(client_run);
      r.scenario = "client";
      return Emit(r, common);
    }
    if (*inprocess) {
      inproc.input = common.input;
      inproc.docs = &docs;
      inproc.warmup_seconds = common.warmup;
      inproc.duration_seconds = common.duration;
      return Emit(RunInProcess(inproc), common);
    }
    load.input = common.input;
    load.docs = &docs;
    load.warmup_seconds = common.warmup;
    load.duration_seconds = common.duration;
    if (*unary) return Emit(RunUnary(load), common);
    if (*stream) {
      std::cout << "stream window: " << EffectiveWindow(load)
                << " documents in flight per stream\n";
      return Emit(RunStream(load), common);
    }
    if (*batch) {
      load.concurrency = load.batch_concurrency;
      return Emit(RunBatch(load), common);
    }
    if (*http_unary) return Emit(RunHttpUnary(load), common);
    if (*http_batch) {
      load.concurrency = load.batch_concurrency;
      return Emit(RunHttpBatch(load), common);
    }
  } catch (const std::exception& e) {
    std::cerr << "classifyd-bench: " << e.what() << "\n";
    return 1;
  }
  return 2;
}

}  // namespace
}  // namespace classifyd::bench

int main(int argc, char** argv) { return classifyd::bench::Main(argc, argv); }
