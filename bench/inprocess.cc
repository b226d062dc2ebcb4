#include "inprocess.h"

#include <fasttext/fasttext.h>

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "text/tokenizer.h"

namespace classifyd::bench {
namespace {

// Mirrors FastTextClassifier::ClassifyBatch in
// plugins/fasttext/fasttext_plugin.cc for one document; returns the number
// of labels kept. Keep the two in step.
class Predictor {
 public:
  Predictor(const std::string& model_path, int top_k, float threshold)
      : top_k_(top_k), threshold_(threshold) {
    model_.loadModel(model_path);
    dictionary_ = model_.getDictionary();
    if (dictionary_->nlabels() == 0) {
      throw std::runtime_error("'" + model_path + "' is not a supervised model");
    }
    for (int32_t i = 0; i < dictionary_->nlabels(); ++i) {
      labels_.push_back(dictionary_->getLabel(i));
    }
  }

  size_t Classify(std::string_view text) {
    std::string line = text::ToFastTextLine(text);
    if (line.empty()) return 0;
    line.push_back('\n');
    in_.clear();
    in_.str(std::move(line));
    words_.clear();
    label_ids_.clear();
    dictionary_->getLine(in_, words_, label_ids_);
    predictions_.clear();
    model_.predict(top_k_, words_, predictions_, threshold_);
    size_t kept = 0;
    for (const auto& [log_probability, label_id] : predictions_) {
      const float p = std::exp(log_probability);
      // The plugin hands (label, score) to the host here.
      if (!labels_[label_id].empty() && p >= 0) ++kept;
    }
    return kept;
  }

 private:
  fasttext::FastText model_;
  std::shared_ptr<const fasttext::Dictionary> dictionary_;
  std::vector<std::string> labels_;
  const int top_k_;
  const float threshold_;
  std::istringstream in_;
  std::vector<int32_t> words_;
  std::vector<int32_t> label_ids_;
  fasttext::Predictions predictions_;
};

double AverageBytes(const std::vector<std::string>& docs) {
  double total = 0;
  for (const auto& d : docs) total += d.size();
  return docs.empty() ? 0 : total / docs.size();
}

}  // namespace

Result RunInProcess(const InProcessOptions& o) {
  Predictor predictor(o.model_path, o.top_k, o.threshold);
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
    const size_t kept = predictor.Classify(docs[next]);
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
