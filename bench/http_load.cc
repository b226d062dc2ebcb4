#include "http_load.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "classifyd/v1/classifier.pb.h"

namespace classifyd::bench {
namespace {

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json).ok()) {
    throw std::runtime_error("cannot print a request as JSON");
  }
  return json;
}

v1::ClassifyRequest Request(const LoadOptions& o, size_t i) {
  v1::ClassifyRequest request;
  request.set_id(std::to_string(i));
  request.set_text((*o.docs)[i % o.docs->size()]);
  if (!o.classifier.empty()) request.add_plugins(o.classifier);
  return request;
}

// The bodies a run cycles through: one document each, or `batch` each.
std::vector<std::string> Bodies(const LoadOptions& o, bool batch) {
  std::vector<std::string> bodies;
  if (!batch) {
    for (size_t i = 0; i < o.docs->size(); ++i) bodies.push_back(ToJson(Request(o, i)));
    return bodies;
  }
  const size_t n = o.docs->size();
  for (size_t first = 0; first < n; first += o.batch) {
    v1::ClassifyBatchRequest request;
    for (int j = 0; j < o.batch; ++j) *request.add_documents() = Request(o, first + j);
    bodies.push_back(ToJson(request));
  }
  return bodies;
}

struct Counts {
  std::atomic<uint64_t> docs{0}, errors{0}, labelled{0};
  std::atomic<bool> stop{false};
};

// Counts the documents of one answer; false if the call failed.
bool CountAnswer(const httplib::Result& result, bool batch, Counts& counts) {
  if (!result || result->status != 200) return false;
  v1::ClassifyBatchResponse answers;
  if (batch) {
    if (!google::protobuf::util::JsonStringToMessage(result->body, &answers).ok()) return false;
  } else if (!google::protobuf::util::JsonStringToMessage(
                  result->body, answers.add_results()).ok()) {
    return false;
  }
  for (const v1::ClassifyResponse& r : answers.results()) {
    ++counts.docs;
    if (r.error().code() != 0) ++counts.errors;
    if (r.labels_size() > 0) ++counts.labelled;
  }
  return true;
}

// One client thread: posts its share of `bodies` until told to stop.
void Drive(const LoadOptions& o, const std::vector<std::string>& bodies,
           bool batch, int index, Counts& counts, LatencySamples& latencies) {
  const size_t colon = o.addr.rfind(':');
  httplib::Client client(o.addr.substr(0, colon), std::stoi(o.addr.substr(colon + 1)));
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  client.set_read_timeout(std::chrono::seconds(120));
  const char* path = batch ? "/v1/classify:batch" : "/v1/classify";
  for (size_t i = index; !counts.stop; i += o.concurrency) {
    const Clock::time_point start = Clock::now();
    auto result = client.Post(path, bodies[i % bodies.size()], "application/json");
    latencies.Add(Clock::now() - start);
    if (!CountAnswer(result, batch, counts)) ++counts.errors;
  }
}

Result RunOnce(const LoadOptions& o, bool batch) {
  const std::vector<std::string> bodies = Bodies(o, batch);
  Counts counts;
  std::vector<LatencySamples> latencies(o.concurrency);
  CpuTimes server0;
  if (o.server_pid > 0) server0 = ReadProcessCpu(o.server_pid);
  const CpuTimes client0 = ReadSelfCpu();
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < o.concurrency; ++i) {
    threads.emplace_back([&, i] { Drive(o, bodies, batch, i, counts, latencies[i]); });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration_seconds));
  counts.stop = true;
  for (std::thread& t : threads) t.join();  // Each finishes its call.
  Result result;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (o.server_pid > 0) {
    const CpuTimes server1 = ReadProcessCpu(o.server_pid);
    result.have_server_cpu = true;
    result.server_cpu = {server1.user_us - server0.user_us,
                         server1.system_us - server0.system_us};
  }
  const CpuTimes client1 = ReadSelfCpu();
  result.client_cpu = {client1.user_us - client0.user_us,
                       client1.system_us - client0.system_us};
  result.docs = counts.docs;
  result.errors = counts.errors;
  result.labelled = counts.labelled;
  LatencySamples all;
  for (const LatencySamples& l : latencies) all.Merge(l);
  result.p50_us = all.PercentileMicros(50);
  result.p99_us = all.PercentileMicros(99);
  result.input = o.input;
  result.latency_unit = batch ? "call" : "doc";
  double bytes = 0;
  for (const std::string& d : *o.docs) bytes += d.size();
  result.avg_doc_bytes = bytes / o.docs->size();
  result.scenario = batch ? "http-batch-" + std::to_string(o.batch)
                          : "http-unary-c" + std::to_string(o.concurrency);
  return result;
}

Result WithWarmup(const LoadOptions& o, bool batch) {
  if (o.warmup_seconds > 0) {
    LoadOptions warmup = o;
    warmup.duration_seconds = o.warmup_seconds;
    RunOnce(warmup, batch);
  }
  return RunOnce(o, batch);
}

}  // namespace

Result RunHttpUnary(const LoadOptions& o) { return WithWarmup(o, false); }
Result RunHttpBatch(const LoadOptions& o) { return WithWarmup(o, true); }

}  // namespace classifyd::bench
