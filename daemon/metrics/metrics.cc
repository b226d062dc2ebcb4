#include "metrics/metrics.h"

#include <absl/status/status.h>
#include <dirent.h>
#include <prometheus/text_serializer.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <limits>
#include <set>
#include <unordered_map>

#ifndef CLASSIFYD_VERSION
#define CLASSIFYD_VERSION "unknown"
#endif

namespace classifyd {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

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

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

ClientMetric& AddMetric(MetricFamily& family,
                        std::vector<ClientMetric::Label> labels) {
  ClientMetric& m = family.metric.emplace_back();
  m.label = std::move(labels);
  return m;
}

void AddCounter(MetricFamily& family, std::vector<ClientMetric::Label> labels,
                double value) {
  AddMetric(family, std::move(labels)).counter.value = value;
}

void AddGauge(MetricFamily& family, std::vector<ClientMetric::Label> labels,
              double value) {
  AddMetric(family, std::move(labels)).gauge.value = value;
}

void AddHistogram(MetricFamily& family, std::vector<ClientMetric::Label> labels,
                  const metrics::Histogram& h) {
  ClientMetric& m = AddMetric(family, std::move(labels));
  const std::vector<uint64_t> counts = h.BucketCounts();
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    m.histogram.bucket.push_back(
        {cumulative, i < h.bounds().size()
                         ? h.bounds()[i]
                         : std::numeric_limits<double>::infinity()});
  }
  // The count is the +Inf bucket, so the two always agree.
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = h.Sum();
}

// A gauge family with one sample per classifier, labelled `classifier`.
template <typename Number>
MetricFamily PerClassifierGauge(std::string name, std::string help,
                                const std::map<std::string, Number>& values) {
  MetricFamily family =
      Family(std::move(name), std::move(help), MetricType::Gauge);
  for (const auto& [classifier, value] : values) {
    AddGauge(family, {{"classifier", classifier}}, static_cast<double>(value));
  }
  return family;
}

double ReadStatmPages(int field) {
  std::ifstream statm("/proc/self/statm");
  double value = -1;
  for (int i = 0; i <= field && statm >> value; ++i) {
  }
  return statm ? value : -1;
}

}  // namespace

const char* RpcName(Rpc rpc) {
  switch (rpc) {
    case Rpc::kClassify:
      return "Classify";
    case Rpc::kClassifyBatch:
      return "ClassifyBatch";
    case Rpc::kClassifyStream:
      return "ClassifyStream";
    case Rpc::kListPlugins:
      return "ListPlugins";
  }
  return "unknown";
}

ProcessStats ReadProcessStats() {
  ProcessStats stats;
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const double size_pages = ReadStatmPages(0);
  const double resident_pages = ReadStatmPages(1);
  if (size_pages >= 0) stats.virtual_bytes = size_pages * page;
  if (resident_pages >= 0) stats.resident_bytes = resident_pages * page;
  if (DIR* dir = opendir("/proc/self/fd")) {
    double fds = 0;
    while (const dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') ++fds;
    }
    closedir(dir);
    stats.open_fds = fds - 1;  // Not the one opendir() holds.
  }
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    stats.cpu_seconds =
        static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
        static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) /
            1e6;
  }
  // Field 22 of /proc/self/stat is the start time in clock ticks after
  // boot; /proc/stat's btime is the boot time. The name field (2) may hold
  // spaces, so count from its closing parenthesis.
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)),
                   std::istreambuf_iterator<char>());
  std::ifstream proc_stat("/proc/stat");
  std::string line;
  double boot_time = -1;
  while (std::getline(proc_stat, line)) {
    if (line.rfind("btime ", 0) == 0) boot_time = std::stod(line.substr(6));
  }
  const size_t paren = stat.rfind(')');
  if (paren != std::string::npos && boot_time >= 0) {
    std::istringstream fields(stat.substr(paren + 2));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) {
      if (i == 22) {
        stats.start_time_seconds =
            boot_time +
            std::stod(field) / static_cast<double>(sysconf(_SC_CLK_TCK));
      }
    }
  }
  return stats;
}

Metrics::ClassifierCells::ClassifierCells() : batch_seconds(kSecondsBounds) {}

Metrics::Metrics() : id_(next_metrics_id.fetch_add(1)) {
  for (auto& h : request_seconds_) {
    h = std::make_unique<metrics::Histogram>(kSecondsBounds);
  }
}

Metrics::~Metrics() = default;

void Metrics::UnaryFinished(Rpc rpc, grpc::StatusCode code, double seconds) {
  const auto r = static_cast<size_t>(rpc);
  requests_[r][CodeIndex(code)].Add();
  request_seconds_[r]->Observe(seconds);
  inflight_unary_.Add(-1);
}

void Metrics::StreamFinished(grpc::StatusCode code) {
  requests_[static_cast<size_t>(Rpc::kClassifyStream)][CodeIndex(code)].Add();
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

void Metrics::ReloadFinished(ReloadTrigger trigger,
                             const ClassifierRegistry::ReconcileResult& r) {
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
    const std::vector<ClassifierStatus>& statuses,
    const ProcessStats& process) const {
  std::vector<MetricFamily> out;

  MetricFamily build =
      Family("classifyd_build_info", "The daemon's version; always 1.",
             MetricType::Gauge);
  AddGauge(build, {{"version", CLASSIFYD_VERSION}}, 1);
  out.push_back(std::move(build));

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
  out.push_back(std::move(requests));
  out.push_back(std::move(documents));

  MetricFamily latency = Family(
      "classifyd_request_duration_seconds",
      "Time to handle a unary Classifier RPC, from the handler's start to "
      "its response.",
      MetricType::Histogram);
  for (Rpc rpc : {Rpc::kClassify, Rpc::kClassifyBatch, Rpc::kListPlugins}) {
    AddHistogram(latency, {{"rpc", RpcName(rpc)}},
                 *request_seconds_[static_cast<size_t>(rpc)]);
  }
  out.push_back(std::move(latency));

  MetricFamily inflight = Family(
      "classifyd_inflight_unary_requests",
      "Unary Classifier RPCs being handled right now.", MetricType::Gauge);
  AddGauge(inflight, {}, static_cast<double>(inflight_unary_.Value()));
  out.push_back(std::move(inflight));
  MetricFamily streams =
      Family("classifyd_open_streams", "ClassifyStream calls open right now.",
             MetricType::Gauge);
  AddGauge(streams, {}, static_cast<double>(open_streams_.Value()));
  out.push_back(std::move(streams));

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
  out.push_back(std::move(c_docs));
  out.push_back(std::move(c_errors));
  out.push_back(std::move(c_timeouts));
  out.push_back(std::move(c_latency));
  out.push_back(std::move(labels));

  // A name may appear twice in `statuses` (a retiring old version beside
  // its replacement), so gather the states present per name first.
  std::map<std::string, std::set<ClassifierState>> states;
  std::map<std::string, uint64_t> generations;
  // Stuck calls of every version still loaded, the retiring ones included:
  // each holds a thread.
  std::map<std::string, int> stuck;
  for (const ClassifierStatus& s : statuses) {
    states[s.name].insert(s.state);
    if (s.serving == nullptr) continue;
    // The newest: a retiring version is listed after its replacement.
    uint64_t& g = generations[s.name];
    g = std::max(g, s.serving->generation());
    stuck[s.name] += s.serving->call_health().stuck_calls.load();
  }
  MetricFamily state = Family(
      "classifyd_classifier_state",
      "1 for each state a classifier entry is in (LOADING, READY, FAILED, "
      "UNLOADING), else 0.",
      MetricType::Gauge);
  for (const auto& [name, present] : states) {
    for (ClassifierState s :
         {ClassifierState::kLoading, ClassifierState::kReady,
          ClassifierState::kFailed, ClassifierState::kUnloading}) {
      AddGauge(state, {{"classifier", name}, {"state", ClassifierStateName(s)}},
               present.count(s) ? 1 : 0);
    }
  }
  out.push_back(std::move(state));
  out.push_back(PerClassifierGauge(
      "classifyd_classifier_generation",
      "Generation of the classifier version now serving (labels carry it "
      "too).",
      generations));
  out.push_back(PerClassifierGauge(
      "classifyd_classifier_stuck_calls",
      "Plugin calls that ran past their time limit and have not returned; "
      "the classifier is skipped while it is not 0.",
      stuck));

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
  out.push_back(std::move(reloads));
  MetricFamily failures =
      Family("classifyd_plugin_load_failures_total",
             "Classifier loads that failed (the previous version, if any, kept "
             "serving).",
             MetricType::Counter);
  AddCounter(failures, {}, static_cast<double>(load_failures_.Value()));
  out.push_back(std::move(failures));

  auto process_gauge = [&](const char* name, const char* help, double value,
                           MetricType type) {
    if (value < 0) return;  // Not readable here: leave it out.
    MetricFamily f = Family(name, help, type);
    if (type == MetricType::Counter) {
      AddCounter(f, {}, value);
    } else {
      AddGauge(f, {}, value);
    }
    out.push_back(std::move(f));
  };
  process_gauge("process_resident_memory_bytes", "Resident memory size.",
                process.resident_bytes, MetricType::Gauge);
  process_gauge("process_virtual_memory_bytes", "Virtual memory size.",
                process.virtual_bytes, MetricType::Gauge);
  process_gauge("process_open_fds", "Open file descriptors.", process.open_fds,
                MetricType::Gauge);
  process_gauge("process_cpu_seconds_total", "User and system CPU time.",
                process.cpu_seconds, MetricType::Counter);
  process_gauge("process_start_time_seconds",
                "Start time of the process, in Unix seconds.",
                process.start_time_seconds, MetricType::Gauge);
  return out;
}

std::string Metrics::Expose(const std::vector<ClassifierStatus>& statuses,
                            const ProcessStats& process) const {
  return prometheus::TextSerializer().Serialize(Collect(statuses, process));
}

}  // namespace classifyd
