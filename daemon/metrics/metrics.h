// What the daemon counts, and its Prometheus text exposition.
//
// The service, the engine and the reload coordinator call the Record*
// hooks on their hot paths; each is a few relaxed atomic updates. Cells
// keyed by a classifier or label name are found through a per-thread cache,
// so the shared map (and its mutex) is touched only the first time a thread
// sees a name. Names are never forgotten: series stay (at their last value)
// after a classifier is unloaded, as Prometheus expects of counters.
//
// Expose() renders everything in text format 0.0.4 with prometheus-cpp's
// serializer; gauges that describe the current state (classifier states,
// generations, process memory and file descriptors) are read at that moment.
// The RPCs are counted twice: as classifyd_requests_total and friends, and
// under the names and labels of go-grpc-prometheus (grpc_server_*), which
// existing gRPC dashboards and alerts read.
//
// Thread-safe.
#ifndef CLASSIFYD_DAEMON_METRICS_METRICS_H_
#define CLASSIFYD_DAEMON_METRICS_METRICS_H_

#include <grpcpp/support/status.h>
#include <prometheus/metric_family.h>

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/classifier_series.h"
#include "metrics/instruments.h"
#include "metrics/process_stats.h"

namespace classifyd {

// The RPCs of classifyd.v1.Classifier.
enum class Rpc {
  kClassify,
  kClassifyBatch,
  kClassifyStream,
  kClassifyBatchStream,
  kListPlugins
};
inline constexpr size_t kRpcCount = 5;
const char* RpcName(Rpc rpc);

// gRPC status codes 0 (OK) .. 16 (UNAUTHENTICATED).
inline constexpr size_t kCodeCount = 17;

// What a reload was asked for (ReloadCoordinator::Kind, as a label).
enum class ReloadTrigger { kRescan, kReload, kLoad, kUnload };

// What a registry change did (ClassifierRegistry::ReconcileResult, as the
// metrics count it).
struct ReloadCounts {
  int loaded = 0;          // New or changed classifiers now serving.
  int failed = 0;          // Loads that failed.
  int removed = 0;         // Classifiers that stopped serving.
  bool not_found = false;  // A named classifier did not exist.
};

class Metrics {
 public:
  // Per-classifier cells; stable for the life of the Metrics.
  struct ClassifierCells {
    metrics::Counter documents;
    metrics::Counter errors;
    // Plugin calls that ran past the classifier's time limit.
    metrics::Counter timeouts;
    metrics::Histogram batch_seconds;
    ClassifierCells();
  };

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // A unary call (Classify, ClassifyBatch, ListPlugins) started and
  // finished with `code` after `seconds`.
  void UnaryStarted(Rpc rpc) {
    started_[static_cast<size_t>(rpc)].Add();
    inflight_unary_.Add(1);
  }
  void UnaryFinished(Rpc rpc, grpc::StatusCode code, double seconds);

  // A streaming call (`rpc`: ClassifyStream or ClassifyBatchStream)
  // opened; it ended with `code` (counted once).
  void StreamOpened(Rpc rpc) {
    started_[static_cast<size_t>(rpc)].Add();
    open_streams_.Add(1);
  }
  void StreamFinished(Rpc rpc, grpc::StatusCode code);
  void StreamClosed() { open_streams_.Add(-1); }

  // One document answered by `rpc`; `code` is its error code (0: labelled).
  void DocumentAnswered(Rpc rpc, int code);

  // The cells of classifier `name` (cached per thread).
  ClassifierCells* Classifier(std::string_view name);

  // A label the daemon returned, with the classifier that gave it.
  void LabelEmitted(std::string_view classifier, std::string_view label);

  // A registry change finished: `trigger` asked for it, `result` says
  // what happened.
  void ReloadFinished(ReloadTrigger trigger, const ReloadCounts& result);

  // The settings file was re-read (SIGHUP): `ok` false when it was refused.
  // A new Metrics counts as one successful load, at its construction: the
  // daemon does not start with a settings file it cannot read.
  void ConfigReloaded(bool ok);

  // Every metric family, with the state gauges taken from `classifiers`
  // (one sample per entry of ClassifierRegistry::List()) and `process`.
  std::vector<prometheus::MetricFamily> Collect(
      const std::vector<ClassifierSample>& classifiers,
      const ProcessStats& process) const;

  // Collect() in Prometheus text format 0.0.4.
  std::string Expose(const std::vector<ClassifierSample>& classifiers,
                     const ProcessStats& process) const;

  // Content-Type of Expose()'s output.
  static constexpr char kContentType[] =
      "text/plain; version=0.0.4; charset=utf-8";

 private:
  // Finds or creates a cell under `key` in the shared map; the per-thread
  // cache is in front of this.
  void* FindOrCreate(const std::string& key);

  void CollectRpcs(std::vector<prometheus::MetricFamily>* out) const;
  void CollectGrpcSeries(std::vector<prometheus::MetricFamily>* out) const;
  void CollectClassifierCells(std::vector<prometheus::MetricFamily>* out) const;
  void CollectReloads(std::vector<prometheus::MetricFamily>* out) const;

  const uint64_t id_;  // Tells per-thread caches of different instances apart.

  std::array<metrics::Counter, kRpcCount> started_;
  // Indexed by [rpc][gRPC code].
  std::array<std::array<metrics::Counter, kCodeCount>, kRpcCount> requests_;
  std::array<std::array<metrics::Counter, kCodeCount>, kRpcCount> documents_;
  std::array<std::unique_ptr<metrics::Histogram>, kRpcCount> request_seconds_;
  metrics::Gauge inflight_unary_;
  metrics::Gauge open_streams_;
  // Indexed by [trigger][outcome]; see ReloadOutcome in metrics.cc.
  std::array<std::array<metrics::Counter, 4>, 4> reloads_;
  metrics::Counter load_failures_;
  metrics::Gauge config_reload_ok_;
  metrics::Gauge config_reload_success_unix_;

  mutable std::mutex cells_mu_;  // Guards the maps, not the cells.
  // "c" + classifier -> cells.
  std::map<std::string, std::unique_ptr<ClassifierCells>, std::less<>>
      classifiers_;
  // "l" + classifier + '\0' + label -> count.
  std::map<std::string, std::unique_ptr<metrics::Counter>, std::less<>> labels_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_METRICS_METRICS_H_
