#include "inprocess.h"

#include "predictor.h"

namespace classifyd::bench {
Result RunInProcess(const InProcessOptions& o) {
  const Model model(o.model_path);
  Predictor predictor(&model, o.top_k, o.threshold);
  const std::vector<std::string>& docs = *o.docs;
  size_t next = 0;

  // Warm-up: caches, page-in of the model.
  const auto warm_end =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(o.warmup_seconds));
  while (Clock::now() < warm_end) {
    predictor.Classify(docs[next]);
    next = (next + 1) % docs.size();
  }

  Result result;
  LatencySamples latencies;
  const auto duration = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(o.duration_seconds));
  const CpuTimes cpu0 = ReadThreadCpu();
  const Clock::time_point start = Clock::now();
  const Clock::time_point end_at = start + duration;
  Clock::time_point now = start;
  while (now < end_at) {
    const size_t kept = predictor.Classify(docs[next]).size();
    next = (next + 1) % docs.size();
    const Clock::time_point after = Clock::now();
    latencies.Add(after - now);
    now = after;
    ++result.docs;
    if (kept > 0) ++result.labelled;
  }
  const CpuTimes cpu1 = ReadThreadCpu();
  result.seconds = std::chrono::duration<double>(now - start).count();
  result.have_server_cpu = true;  // The "server" is this thread.
  result.server_cpu = {cpu1.user_us - cpu0.user_us,
                       cpu1.system_us - cpu0.system_us};
  result.client_cpu = result.server_cpu;
  result.p50_us = latencies.PercentileMicros(50);
  result.p99_us = latencies.PercentileMicros(99);
  result.scenario = "inprocess";
  result.input = o.input;
  result.latency_unit = "doc";
  result.avg_doc_bytes = AverageBytes(docs);
  return result;
}

}  // namespace classifyd::bench
