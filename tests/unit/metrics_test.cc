// The metrics registry and its text exposition (format 0.0.4), without a
// daemon: exact output for known counts, label escaping, histogram shape,
// and exact totals when many threads count at once.
#include "metrics/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace classifyd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ProcessStats NoProcess() { return ProcessStats{}; }

TEST(MetricsTest, CountersHaveHelpTypeAndExactValues) {
  Metrics m;
  m.UnaryStarted(Rpc::kClassify);
  m.UnaryFinished(Rpc::kClassify, grpc::StatusCode::OK, 0.002);
  m.UnaryStarted(Rpc::kClassify);
  m.UnaryFinished(Rpc::kClassify, grpc::StatusCode::NOT_FOUND, 0.001);
  m.DocumentAnswered(Rpc::kClassify, 0);
  m.DocumentAnswered(Rpc::kClassify, 5);
  m.DocumentAnswered(Rpc::kClassifyStream, 0);
  m.DocumentAnswered(Rpc::kClassifyStream, 0);
  const std::string text = m.Expose({}, NoProcess());
  EXPECT_THAT(text, HasSubstr("# HELP classifyd_requests_total "));
  EXPECT_THAT(text, HasSubstr("# TYPE classifyd_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("classifyd_requests_total{code=\"OK\",rpc="
                              "\"Classify\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("classifyd_requests_total{code=\"NOT_FOUND\","
                              "rpc=\"Classify\"} 1\n"));
  // Codes never seen are left out; OK is always there.
  EXPECT_THAT(text, Not(HasSubstr("code=\"INTERNAL\"")));
  EXPECT_THAT(text, HasSubstr("classifyd_requests_total{code=\"OK\",rpc="
                              "\"ClassifyBatch\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("classifyd_documents_total{outcome=\"NOT_FOUND\","
                              "rpc=\"Classify\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("classifyd_documents_total{outcome=\"OK\",rpc="
                              "\"ClassifyStream\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("classifyd_inflight_unary_requests 0\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Metrics m;
  for (double seconds : {0.00005, 0.0003, 0.0003, 0.7, 99.0}) {
    m.UnaryStarted(Rpc::kClassifyBatch);
    m.UnaryFinished(Rpc::kClassifyBatch, grpc::StatusCode::OK, seconds);
  }
  const std::string text = m.Expose({}, NoProcess());
  const std::string h = "classifyd_request_duration_seconds";
  EXPECT_THAT(text, HasSubstr("# TYPE " + h + " histogram\n"));
  const std::string rpc = "rpc=\"ClassifyBatch\"";
  EXPECT_THAT(text, HasSubstr(h + "_bucket{" + rpc + ",le=\"0.0001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(h + "_bucket{" + rpc + ",le=\"0.00025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(h + "_bucket{" + rpc + ",le=\"0.0005\"} 3\n"));
  EXPECT_THAT(text, HasSubstr(h + "_bucket{" + rpc + ",le=\"0.5\"} 3\n"));
  EXPECT_THAT(text, HasSubstr(h + "_bucket{" + rpc + ",le=\"1\"} 4\n"));
  EXPECT_THAT(text, HasSubstr(h + "_bucket{" + rpc + ",le=\"10\"} 4\n"));
  EXPECT_THAT(text, HasSubstr(h + "_bucket{" + rpc + ",le=\"+Inf\"} 5\n"));
  EXPECT_THAT(text, HasSubstr(h + "_count{" + rpc + "} 5\n"));
  EXPECT_THAT(text, HasSubstr(h + "_sum{" + rpc + "} 99.70065"));
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Metrics m;
  m.LabelEmitted("rules", "say \"hi\"\\now\nnext");
  const std::string text = m.Expose({}, NoProcess());
  EXPECT_THAT(text, HasSubstr("classifyd_labels_total{classifier=\"rules\","
                              "label=\"say \\\"hi\\\"\\\\now\\nnext\"} 1\n"));
}

TEST(MetricsTest, ClassifierStatesMergeARetiringVersionWithItsSuccessor) {
  Metrics m;
  std::vector<ClassifierSample> statuses(3);
  statuses[0].name = "a";
  statuses[0].state = "READY";
  statuses[1].name = "a";  // The old version, finishing its requests.
  statuses[1].state = "UNLOADING";
  statuses[2].name = "b";
  statuses[2].state = "FAILED";
  const std::string text = m.Expose(statuses, NoProcess());
  const std::string g = "classifyd_classifier_state";
  EXPECT_THAT(text, HasSubstr(g + "{classifier=\"a\",state=\"READY\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr(g + "{classifier=\"a\",state=\"UNLOADING\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(g + "{classifier=\"a\",state=\"FAILED\"} 0\n"));
  EXPECT_THAT(text, HasSubstr(g + "{classifier=\"b\",state=\"FAILED\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(g + "{classifier=\"b\",state=\"READY\"} 0\n"));
}

TEST(MetricsTest, TimedOutCallsAreCountedPerClassifier) {
  Metrics m;
  m.Classifier("slow")->timeouts.Add();
  m.Classifier("slow")->timeouts.Add();
  m.Classifier("quick")->documents.Add();
  const std::string text = m.Expose({}, NoProcess());
  const std::string t = "classifyd_classifier_timeouts_total";
  EXPECT_THAT(text, HasSubstr("# TYPE " + t + " counter\n"));
  EXPECT_THAT(text, HasSubstr(t + "{classifier=\"slow\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(t + "{classifier=\"quick\"} 0\n"));
  // No status, no stuck gauge series (they come from ListPlugins' view).
  EXPECT_THAT(text, HasSubstr("# TYPE classifyd_classifier_stuck_calls gauge"));
  EXPECT_THAT(text, Not(HasSubstr("classifyd_classifier_stuck_calls{")));
}

TEST(MetricsTest, ReloadOutcomes) {
  Metrics m;
  ReloadCounts changed;
  changed.loaded = 1;
  ReloadCounts failed;
  failed.loaded = 1;
  failed.failed = 2;
  ReloadCounts missing;
  missing.not_found = true;
  m.ReloadFinished(ReloadTrigger::kRescan, changed);
  m.ReloadFinished(ReloadTrigger::kRescan, {});
  m.ReloadFinished(ReloadTrigger::kRescan, failed);
  m.ReloadFinished(ReloadTrigger::kLoad, missing);
  const std::string text = m.Expose({}, NoProcess());
  const std::string r = "classifyd_reloads_total";
  EXPECT_THAT(text,
              HasSubstr(r + "{outcome=\"changed\",trigger=\"rescan\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr(r + "{outcome=\"unchanged\",trigger=\"rescan\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr(r + "{outcome=\"failed\",trigger=\"rescan\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr(r + "{outcome=\"not_found\",trigger=\"load\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("classifyd_plugin_load_failures_total 2\n"));
}

TEST(MetricsTest, ProcessStatsAreReadFromProc) {
  const ProcessStats p = ReadProcessStats();
  EXPECT_GT(p.resident_bytes, 0);
  EXPECT_GE(p.virtual_bytes, p.resident_bytes);
  EXPECT_GE(p.open_fds, 3);  // stdin, stdout, stderr at least.
  EXPECT_GE(p.cpu_seconds, 0);
  EXPECT_GT(p.start_time_seconds, 1.6e9);
  EXPECT_GE(p.max_fds, p.open_fds);
  Metrics m;
  const std::string text = m.Expose({}, p);
  EXPECT_THAT(text, HasSubstr("# TYPE process_resident_memory_bytes gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_max_fds gauge\n"));
}

// The names, labels and code spellings of go-grpc-prometheus, which
// existing gRPC dashboards query.
TEST(MetricsTest, GrpcSeriesUseGoGrpcPrometheusNamesAndLabels) {
  Metrics m;
  m.UnaryStarted(Rpc::kClassify);
  m.UnaryFinished(Rpc::kClassify, grpc::StatusCode::INVALID_ARGUMENT, 0.003);
  m.StreamOpened(Rpc::kClassifyStream);
  m.StreamFinished(Rpc::kClassifyStream, grpc::StatusCode::OK);
  m.StreamClosed();
  m.StreamOpened(Rpc::kClassifyBatchStream);
  const std::string text = m.Expose({}, NoProcess());
  const std::string classify =
      "grpc_method=\"Classify\",grpc_service=\"classifyd.v1.Classifier\","
      "grpc_type=\"unary\"";
  const std::string stream =
      "grpc_method=\"ClassifyStream\",grpc_service=\"classifyd.v1."
      "Classifier\",grpc_type=\"bidi_stream\"";
  EXPECT_THAT(text, HasSubstr("grpc_server_started_total{" + classify + "} 1\n"));
  EXPECT_THAT(text, HasSubstr("grpc_server_started_total{" + stream + "} 1\n"));
  EXPECT_THAT(text, HasSubstr("grpc_server_started_total{grpc_method=\""
                              "ClassifyBatchStream\",grpc_service=\"classifyd."
                              "v1.Classifier\",grpc_type=\"bidi_stream\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{" + classify +
                              ",grpc_code=\"InvalidArgument\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{" + classify +
                              ",grpc_code=\"OK\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{" + stream +
                              ",grpc_code=\"OK\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE grpc_server_handling_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handling_seconds_count{" +
                              classify + "} 1\n"));
  // The classifyd series stay.
  EXPECT_THAT(text, HasSubstr("classifyd_requests_total{code=\"INVALID_"
                              "ARGUMENT\",rpc=\"Classify\"} 1\n"));
}

TEST(MetricsTest, ConfigReloadGaugesFollowTheLastRead) {
  Metrics m;
  std::string text = m.Expose({}, NoProcess());
  EXPECT_THAT(text, HasSubstr("classifyd_config_last_reload_successful 1\n"));
  EXPECT_THAT(text, HasSubstr(
      "classifyd_config_last_reload_success_timestamp_seconds "));
  EXPECT_THAT(text, Not(HasSubstr(
      "classifyd_config_last_reload_success_timestamp_seconds 0\n")));
  m.ConfigReloaded(false);
  text = m.Expose({}, NoProcess());
  EXPECT_THAT(text, HasSubstr("classifyd_config_last_reload_successful 0\n"));
  m.ConfigReloaded(true);
  text = m.Expose({}, NoProcess());
  EXPECT_THAT(text, HasSubstr("classifyd_config_last_reload_successful 1\n"));
}

// Many threads counting the same and different names through their
// caches, and two Metrics instances in turn on the same threads: totals
// are exact, and no thread's cache leaks cells of the other instance.
TEST(MetricsTest, ConcurrentCountingIsExact) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  for (int round = 0; round < 2; ++round) {
    Metrics m;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&m, t] {
        for (int i = 0; i < kPerThread; ++i) {
          m.LabelEmitted("c", "shared");
          m.LabelEmitted("c", "own" + std::to_string(t));
          m.Classifier("c")->documents.Add();
          m.Classifier("c")->batch_seconds.Observe(0.001);
        }
      });
    }
    for (auto& t : threads) t.join();
    const std::string text = m.Expose({}, NoProcess());
    EXPECT_THAT(text, HasSubstr("{classifier=\"c\",label=\"shared\"} " +
                                std::to_string(kThreads * kPerThread) + "\n"));
    EXPECT_THAT(text, HasSubstr("{classifier=\"c\",label=\"own3\"} " +
                                std::to_string(kPerThread) + "\n"));
    EXPECT_THAT(text,
                HasSubstr("classifyd_classifier_documents_total{classifier="
                          "\"c\"} " +
                          std::to_string(kThreads * kPerThread) + "\n"));
    EXPECT_THAT(text, HasSubstr("classifyd_classifier_batch_duration_seconds_"
                                "count{classifier=\"c\"} " +
                                std::to_string(kThreads * kPerThread) + "\n"));
  }
}

}  // namespace
}  // namespace classifyd
