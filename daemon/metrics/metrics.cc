#include "metrics/metrics.h"

#include <absl/status/status.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <unordered_map>

#include "metrics/classifier_series.h"
#include "metrics/families.h"

#ifndef CLASSIFYD_VERSION
#define CLASSIFYD_VERSION "unknown"
#endif

namespace classifyd {
namespace {

using metrics::AddCounter;
using metrics::AddGauge;
using metrics::AddHistogram;
using metrics::Family;
using prometheus::MetricFamily;
using prometheus::MetricType;

double UnixNow() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Seconds, from 100 µs (a headline through fastText) to 10 s (a large
// batch on a loaded machine).
constexpr double kSecondsBounds[] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

// gRPC's codes 0 (OK) .. 16 (UNAUTHENTICATED), which Abseil's share and
// name. Codes outside that range (a plugin's bug) are counted as UNKNOWN.
size_t CodeIndex(int code) {
  return code >= 0 && code < static_cast<int>(kCodeCount)
             ? static_cast<size_t>(code)
             : static_cast<size_t>(absl::StatusCode::kUnknown);
}

std::string CodeName(size_t index) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(index));
}

// The code names of grpc-go's codes.Code.String(), which go-grpc-prometheus
// puts in grpc_code and dashboards match ("OK", "Unavailable").
const char* GrpcCodeName(size_t index) {
  static constexpr const char* kNames[kCodeCount] = {
      "OK",           "Canceled",          "Unknown",
      "InvalidArgument", "DeadlineExceeded", "NotFound",
      "AlreadyExists", "PermissionDenied", "ResourceExhausted",
      "FailedPrecondition", "Aborted",     "OutOfRange",
      "Unimplemented", "Internal",         "Unavailable",
      "DataLoss",     "Unauthenticated"};
  return kNames[index];
}

constexpr char kGrpcService[] = "classifyd.v1.Classifier";

constexpr const char* kTriggerNames[4] = {"rescan", "reload", "load", "unload"};
// Outcomes of a registry change, by what it did.
enum ReloadOutcome { kChanged, kUnchanged, kFailed, kNotFound };
constexpr const char* kOutcomeNames[4] = {"changed", "unchanged", "failed",
                                          "not_found"};

// Process-unique ids, so a thread's cache never serves cells of a Metrics
// that is gone (tests build several in one process).
std::atomic<uint64_t> next_metrics_id{1};

struct ThreadCache {
  uint64_t owner = 0;
  std::unordered_map<std::string, void*> cells;
  std::string key;  // Reused to build lookup keys without allocating.
};
thread_local ThreadCache thread_cache;

}  // namespace

const char* RpcName(Rpc rpc) {
  switch (rpc) {
    case Rpc::kClassify:
      return "Classify";
    case Rpc::kClassifyBatch:
      return "ClassifyBatch";
    case Rpc::kClassifyStream:
      return "ClassifyStream";
    case Rpc::kClassifyBatchStream:
      return "ClassifyBatchStream";
    case Rpc::kListPlugins:
      return "ListPlugins";
  }
  return "unknown";
}

Metrics::ClassifierCells::ClassifierCells() : batch_seconds(kSecondsBounds) {}

Metrics::Metrics() : id_(next_metrics_id.fetch_add(1)) {
  for (auto& h : request_seconds_) {
    h = std::make_unique<metrics::Histogram>(kSecondsBounds);
  }
  ConfigReloaded(true);
}

void Metrics::ConfigReloaded(bool ok) {
  config_reload_ok_.Set(ok ? 1 : 0);
  if (ok) {
    config_reload_success_unix_.Set(static_cast<int64_t>(UnixNow()));
  }
}

Metrics::~Metrics() = default;

void Metrics::UnaryFinished(Rpc rpc, grpc::StatusCode code, double seconds) {
  const auto r = static_cast<size_t>(rpc);
  requests_[r][CodeIndex(code)].Add();
  request_seconds_[r]->Observe(seconds);
  inflight_unary_.Add(-1);
}

void Metrics::StreamFinished(Rpc rpc, grpc::StatusCode code) {
  requests_[static_cast<size_t>(rpc)][CodeIndex(code)].Add();
}

void Metrics::DocumentAnswered(Rpc rpc, int code) {
  documents_[static_cast<size_t>(rpc)][CodeIndex(code)].Add();
}

void* Metrics::FindOrCreate(const std::string& key) {
  std::lock_guard lock(cells_mu_);
  if (key[0] == 'c') {
    auto& cells = classifiers_[key];
    if (!cells) cells = std::make_unique<ClassifierCells>();
    return cells.get();
  }
  auto& counter = labels_[key];
  if (!counter) counter = std::make_unique<metrics::Counter>();
  return counter.get();
}

Metrics::ClassifierCells* Metrics::Classifier(std::string_view name) {
  ThreadCache& cache = thread_cache;
  if (cache.owner != id_) {
    cache.cells.clear();
    cache.owner = id_;
  }
  cache.key.clear();  // Not assign("c"): GCC 12 -Wrestrict false positive.
  cache.key.push_back('c');
  cache.key.append(name);
  void*& cell = cache.cells[cache.key];
  if (cell == nullptr) cell = FindOrCreate(cache.key);
  return static_cast<ClassifierCells*>(cell);
}

void Metrics::LabelEmitted(std::string_view classifier,
                           std::string_view label) {
  ThreadCache& cache = thread_cache;
  if (cache.owner != id_) {
    cache.cells.clear();
    cache.owner = id_;
  }
  cache.key.clear();
  cache.key.push_back('l');
  cache.key.append(classifier);
  cache.key.push_back('\0');
  cache.key.append(label);
  auto it = cache.cells.find(cache.key);
  if (it == cache.cells.end()) {
    it = cache.cells.emplace(cache.key, FindOrCreate(cache.key)).first;
  }
  static_cast<metrics::Counter*>(it->second)->Add();
}

void Metrics::ReloadFinished(ReloadTrigger trigger, const ReloadCounts& r) {
  ReloadOutcome outcome = kUnchanged;
  if (r.not_found) {
    outcome = kNotFound;
  } else if (r.failed > 0) {
    outcome = kFailed;
  } else if (r.loaded + r.removed > 0) {
    outcome = kChanged;
  }
  reloads_[static_cast<size_t>(trigger)][outcome].Add();
  load_failures_.Add(static_cast<uint64_t>(r.failed));
}

std::vector<MetricFamily> Metrics::Collect(
    const std::vector<ClassifierSample>& classifiers,
    const ProcessStats& process) const {
  std::vector<MetricFamily> out;
  MetricFamily build =
      Family("classifyd_build_info", "The daemon's version; always 1.",
             MetricType::Gauge);
  AddGauge(build, {{"version", CLASSIFYD_VERSION}}, 1);
  out.push_back(std::move(build));
  CollectRpcs(&out);
  CollectGrpcSeries(&out);
  CollectClassifierCells(&out);
  AppendClassifierStateFamilies(classifiers, &out);
  CollectReloads(&out);
  AppendProcessFamilies(process, &out);
  return out;
}

void Metrics::CollectRpcs(std::vector<MetricFamily>* out) const {
  MetricFamily requests =
      Family("classifyd_requests_total",
             "Finished Classifier RPCs by method and gRPC status code (streams "
             "count once, when they end).",
             MetricType::Counter);
  MetricFamily documents =
      Family("classifyd_documents_total",
             "Documents answered, by method and outcome (the gRPC code of the "
             "document's error; OK when it was labelled).",
             MetricType::Counter);
  for (size_t r = 0; r < kRpcCount; ++r) {
    const char* rpc = RpcName(static_cast<Rpc>(r));
    for (size_t c = 0; c < kCodeCount; ++c) {
      // Zero series of codes never seen would only add noise; OK always
      // shows so that rates start from a known zero.
      const uint64_t n = requests_[r][c].Value();
      if (n > 0 || c == 0) {
        AddCounter(requests, {{"code", CodeName(c)}, {"rpc", rpc}},
                   static_cast<double>(n));
      }
      const uint64_t d = documents_[r][c].Value();
      const bool has_documents = static_cast<Rpc>(r) != Rpc::kListPlugins;
      if (has_documents && (d > 0 || c == 0)) {
        AddCounter(documents, {{"outcome", CodeName(c)}, {"rpc", rpc}},
                   static_cast<double>(d));
      }
    }
  }
  out->push_back(std::move(requests));
  out->push_back(std::move(documents));

  MetricFamily latency = Family(
      "classifyd_request_duration_seconds",
      "Time to handle a unary Classifier RPC, from the handler's start to "
      "its response.",
      MetricType::Histogram);
  for (Rpc rpc : {Rpc::kClassify, Rpc::kClassifyBatch, Rpc::kListPlugins}) {
    AddHistogram(latency, {{"rpc", RpcName(rpc)}},
                 *request_seconds_[static_cast<size_t>(rpc)]);
  }
  out->push_back(std::move(latency));

  MetricFamily inflight = Family(
      "classifyd_inflight_unary_requests",
      "Unary Classifier RPCs being handled right now.", MetricType::Gauge);
  AddGauge(inflight, {}, static_cast<double>(inflight_unary_.Value()));
  out->push_back(std::move(inflight));
  MetricFamily streams =
      Family("classifyd_open_streams",
             "ClassifyStream and ClassifyBatchStream calls open right now.",
             MetricType::Gauge);
  AddGauge(streams, {}, static_cast<double>(open_streams_.Value()));
  out->push_back(std::move(streams));
}

// go-grpc-prometheus's server series: every method with every code, so
// that dashboards' rates and ratios start from zero.
void Metrics::CollectGrpcSeries(std::vector<MetricFamily>* out) const {
  MetricFamily started =
      Family("grpc_server_started_total", "RPCs started on the server.",
             MetricType::Counter);
  MetricFamily handled = Family(
      "grpc_server_handled_total",
      "RPCs completed on the server, regardless of success or failure.",
      MetricType::Counter);
  MetricFamily seconds = Family(
      "grpc_server_handling_seconds",
      "Response latency of RPCs handled by the server (unary RPCs only).",
      MetricType::Histogram);
  for (size_t r = 0; r < kRpcCount; ++r) {
    const Rpc rpc = static_cast<Rpc>(r);
    const bool stream =
        rpc == Rpc::kClassifyStream || rpc == Rpc::kClassifyBatchStream;
    const std::string type = stream ? "bidi_stream" : "unary";
    const metrics::Labels method = {{"grpc_method", RpcName(rpc)},
                                    {"grpc_service", kGrpcService},
                                    {"grpc_type", type}};
    AddCounter(started, method, static_cast<double>(started_[r].Value()));
    for (size_t c = 0; c < kCodeCount; ++c) {
      metrics::Labels labels = method;
      labels.push_back({"grpc_code", GrpcCodeName(c)});
      AddCounter(handled, std::move(labels),
                 static_cast<double>(requests_[r][c].Value()));
    }
    if (!stream) {
      AddHistogram(seconds, method, *request_seconds_[r]);
    }
  }
  out->push_back(std::move(started));
  out->push_back(std::move(handled));
  out->push_back(std::move(seconds));
}

void Metrics::CollectClassifierCells(std::vector<MetricFamily>* out) const {
  MetricFamily c_docs =
      Family("classifyd_classifier_documents_total",
             "Documents a classifier was asked to label.", MetricType::Counter);
  MetricFamily c_errors = Family(
      "classifyd_classifier_errors_total",
      "Documents a classifier failed to label (its plugin returned an error).",
      MetricType::Counter);
  MetricFamily c_timeouts = Family(
      "classifyd_classifier_timeouts_total",
      "Plugin calls that ran past the classifier's time limit (timeout_ms or "
      "--plugin-timeout-ms); their documents got DEADLINE_EXCEEDED.",
      MetricType::Counter);
  MetricFamily c_latency =
      Family("classifyd_classifier_batch_duration_seconds",
             "Time of one call into a classifier's plugin with a batch of "
             "documents.",
             MetricType::Histogram);
  MetricFamily labels = Family(
      "classifyd_labels_total",
      "Labels returned to clients, by label and the classifier that gave it.",
      MetricType::Counter);
  {
    std::lock_guard lock(cells_mu_);
    for (const auto& [key, cells] : classifiers_) {
      const std::string name = key.substr(1);
      AddCounter(c_docs, {{"classifier", name}},
                 static_cast<double>(cells->documents.Value()));
      AddCounter(c_errors, {{"classifier", name}},
                 static_cast<double>(cells->errors.Value()));
      AddCounter(c_timeouts, {{"classifier", name}},
                 static_cast<double>(cells->timeouts.Value()));
      AddHistogram(c_latency, {{"classifier", name}}, cells->batch_seconds);
    }
    for (const auto& [key, counter] : labels_) {
      const size_t sep = key.find('\0');
      AddCounter(labels,
                 {{"classifier", key.substr(1, sep - 1)},
                  {"label", key.substr(sep + 1)}},
                 static_cast<double>(counter->Value()));
    }
  }
  out->push_back(std::move(c_docs));
  out->push_back(std::move(c_errors));
  out->push_back(std::move(c_timeouts));
  out->push_back(std::move(c_latency));
  out->push_back(std::move(labels));
}

void Metrics::CollectReloads(std::vector<MetricFamily>* out) const {
  MetricFamily reloads = Family(
      "classifyd_reloads_total",
      "Changes to the served classifiers, by what asked (rescan: startup, "
      "SIGHUP, file watch or admin Reload without a name; reload, load, "
      "unload: admin calls) and outcome.",
      MetricType::Counter);
  for (size_t t = 0; t < 4; ++t) {
    for (size_t o = 0; o < 4; ++o) {
      AddCounter(reloads,
                 {{"outcome", kOutcomeNames[o]}, {"trigger", kTriggerNames[t]}},
                 static_cast<double>(reloads_[t][o].Value()));
    }
  }
  out->push_back(std::move(reloads));
  MetricFamily failures =
      Family("classifyd_plugin_load_failures_total",
             "Classifier loads that failed (the previous version, if any, kept "
             "serving).",
             MetricType::Counter);
  AddCounter(failures, {}, static_cast<double>(load_failures_.Value()));
  out->push_back(std::move(failures));
  MetricFamily config_ok = Family(
      "classifyd_config_last_reload_successful",
      "Whether the last read of the settings file (start-up or SIGHUP) was "
      "taken: 1, or 0 when it was refused and the running settings stayed.",
      MetricType::Gauge);
  AddGauge(config_ok, {}, static_cast<double>(config_reload_ok_.Value()));
  out->push_back(std::move(config_ok));
  MetricFamily config_at = Family(
      "classifyd_config_last_reload_success_timestamp_seconds",
      "Unix time of the last settings read that was taken.",
      MetricType::Gauge);
  AddGauge(config_at, {},
           static_cast<double>(config_reload_success_unix_.Value()));
  out->push_back(std::move(config_at));
}

std::string Metrics::Expose(const std::vector<ClassifierSample>& classifiers,
                            const ProcessStats& process) const {
  return prometheus::TextSerializer().Serialize(Collect(classifiers, process));
}

}  // namespace classifyd
