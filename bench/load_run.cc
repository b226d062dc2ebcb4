#include "load_run.h"

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

namespace classifyd::bench {
namespace {

// `count` channels to `addr` that do not share a connection, connected.
std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(
    const std::string& addr, int count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    // Distinct channels must not share a connection.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("classifyd_bench.channel", i);
    channels.push_back(grpc::CreateCustomChannel(
        addr, grpc::InsecureChannelCredentials(), args));
  }
  for (auto& channel : channels) {
    if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                   std::chrono::seconds(10))) {
      throw std::runtime_error("cannot connect to " + addr);
    }
  }
  return channels;
}

}  // namespace

std::vector<std::unique_ptr<v1::Classifier::Stub>> MakeStubs(
    const LoadOptions& o) {
  std::vector<std::unique_ptr<v1::Classifier::Stub>> stubs;
  for (auto& channel : MakeChannels(o.addr, std::max(1, o.channels))) {
    stubs.push_back(v1::Classifier::NewStub(channel));  // Keeps the channel.
  }
  return stubs;
}

std::vector<v1::ClassifyRequest> MakeRequests(const LoadOptions& o) {
  std::vector<v1::ClassifyRequest> requests;
  requests.reserve(o.docs->size());
  for (size_t i = 0; i < o.docs->size(); ++i) {
    v1::ClassifyRequest r;
    r.set_id(std::to_string(i));
    r.set_text((*o.docs)[i]);
    if (!o.classifier.empty()) r.add_plugins(o.classifier);
    requests.push_back(std::move(r));
  }
  return requests;
}

std::string DescribeStatus(const grpc::Status& s) {
  return "status " + std::to_string(s.error_code()) + ": " + s.error_message();
}

void MeasureRun(const LoadOptions& o, Shared& shared, Result& result,
                const std::function<void()>& start_drivers,
                const std::function<void()>& kick) {
  CpuTimes server0, server1;
  if (o.server_pid > 0) server0 = ReadProcessCpu(o.server_pid);
  const CpuTimes client0 = ReadSelfCpu();
  const Clock::time_point start = Clock::now();
  start_drivers();
  std::this_thread::sleep_for(
      std::chrono::duration<double>(o.duration_seconds));
  shared.phase.store(kStop);
  if (kick) kick();
  if (!shared.WaitDrivers(std::chrono::seconds(120))) {
    throw std::runtime_error("calls did not finish within 120 s of the end");
  }
  const Clock::time_point end = Clock::now();
  if (o.server_pid > 0) server1 = ReadProcessCpu(o.server_pid);
  const CpuTimes client1 = ReadSelfCpu();
  result.seconds = std::chrono::duration<double>(end - start).count();
  result.have_server_cpu = o.server_pid > 0;
  result.server_cpu = {server1.user_us - server0.user_us,
                       server1.system_us - server0.system_us};
  result.client_cpu = {client1.user_us - client0.user_us,
                       client1.system_us - client0.system_us};
  result.docs = shared.docs.load();
  result.errors = shared.errors.load();
  result.labelled = shared.labelled.load();
}

void Summarise(const Shared& shared, LatencySamples& latencies,
               Result& result) {
  result.p50_us = latencies.PercentileMicros(50);
  result.p99_us = latencies.PercentileMicros(99);
  if (!shared.first_error.empty()) {
    std::fprintf(stderr, "classifyd-bench: first error: %s\n",
                 shared.first_error.c_str());
  }
}

void DescribeRun(const LoadOptions& o, std::string scenario,
                 const char* latency_unit, Result& result) {
  result.scenario = std::move(scenario);
  result.input = o.input;
  result.latency_unit = latency_unit;
  result.avg_doc_bytes = AverageBytes(*o.docs);
}

Result WithWarmup(const LoadOptions& o, Result (*run)(const LoadOptions&)) {
  if (o.warmup_seconds > 0) {
    LoadOptions warmup = o;
    warmup.duration_seconds = o.warmup_seconds;
    warmup.warmup_seconds = 0;
    run(warmup);
  }
  return run(o);
}

}  // namespace classifyd::bench
