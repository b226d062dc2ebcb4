// A deterministic classifier for tests: labels a document when it contains
// a keyword. Built with the SDK, so it also exercises the SDK.
//
// Options:
//   rules = "地震=disaster;股=finance"  keyword=label pairs
//   score = 0.9                         score of every label
//   obey_top_k = false                  give at most the call's top_k labels
//                                       per document, the first rules first
//   fail_marker = "FAIL"                documents containing it fail alone
//   fail_all_marker = "FAILALL"         a batch containing it fails whole
//   throw_marker = "THROW"              ClassifyBatch throws on it
//   sleep_ms = 0                        sleep per batch (drain tests)
//   report_batch_size = false           add label "batch:<n>" per document
//                                       (n capped at 1024)
//   fail_create = false                 create() fails (after reading opts)
//   log_every_us = 0                    > 0: a thread of its own logs a
//                                       1 KiB debug line this often, from
//                                       create() until destroy()
#include <classifyd/plugin_sdk.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

// report_batch_size labels batches of up to this many documents exactly.
constexpr int kMaxReportedBatch = 1024;

class KeywordClassifier final : public classifyd::sdk::Classifier {
 public:
  explicit KeywordClassifier(const classifyd::sdk::InstanceConfig& config) {
    const std::string rules = config.GetString("rules", "");
    size_t start = 0;
    while (start < rules.size()) {
      size_t end = rules.find(';', start);
      if (end == std::string::npos) end = rules.size();
      const std::string rule = rules.substr(start, end - start);
      const size_t eq = rule.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == rule.size()) {
        throw classifyd::sdk::Error(CLASSIFYD_INVALID_ARGUMENT,
                                    "bad rule '" + rule + "'");
      }
      rules_.emplace_back(rule.substr(0, eq), rule.substr(eq + 1));
      start = end + 1;
    }
    score_ = static_cast<float>(config.GetDouble("score", 0.9));
    fail_marker_ = config.GetString("fail_marker", "FAIL");
    fail_all_marker_ = config.GetString("fail_all_marker", "FAILALL");
    throw_marker_ = config.GetString("throw_marker", "THROW");
    sleep_ms_ = static_cast<int>(config.GetDouble("sleep_ms", 0));
    report_batch_size_ = config.GetString("report_batch_size", "false") == "true";
    obey_top_k_ = config.GetString("obey_top_k", "false") == "true";
    if (config.GetString("fail_create", "false") == "true") {
      throw classifyd::sdk::Error(CLASSIFYD_FAILED_PRECONDITION,
                                  "fail_create is set");
    }
    if (const double every = config.GetDouble("log_every_us", 0); every > 0) {
      logger_ = std::thread([this, host = config.host(), every] {
        const std::string line(1024, 'l');
        while (!stop_logging_) {
          host->log(host->host_context, CLASSIFYD_LOG_DEBUG, line.data(),
                    line.size());
          std::this_thread::sleep_for(
              std::chrono::duration<double, std::micro>(every));
        }
      });
    }
    config.Log(CLASSIFYD_LOG_INFO, "keyword classifier ready");
  }

  ~KeywordClassifier() override {
    stop_logging_ = true;
    if (logger_.joinable()) logger_.join();
  }

  std::vector<std::string> Labels() const override {
    std::vector<std::string> labels;
    for (const auto& [keyword, label] : rules_) labels.push_back(label);
    if (report_batch_size_) {
      // The daemon refuses labels an instance did not declare. Its plugin
      // calls carry at most 128 documents; this leaves room for more.
      for (int n = 1; n <= kMaxReportedBatch; ++n) {
        labels.push_back("batch:" + std::to_string(n));
      }
    }
    return labels;
  }

  void ClassifyBatch(std::span<const std::string_view> texts,
                     const classifyd::sdk::ClassifyOptions& options,
                     classifyd::sdk::ResultWriter& out) override {
    if (sleep_ms_ > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
    }
    for (std::string_view text : texts) {
      if (text.find(throw_marker_) != std::string_view::npos) {
        throw std::runtime_error("asked to throw");
      }
      if (text.find(fail_all_marker_) != std::string_view::npos) {
        throw classifyd::sdk::Error(CLASSIFYD_UNAVAILABLE,
                                    "asked to fail the batch");
      }
    }
    const std::string batch_label =
        "batch:" +
        std::to_string(std::min<size_t>(texts.size(), kMaxReportedBatch));
    for (size_t i = 0; i < texts.size(); ++i) {
      if (texts[i].find(fail_marker_) != std::string_view::npos) {
        out.SetDocumentError(i, CLASSIFYD_INVALID_ARGUMENT,
                             "document contains the fail marker");
        continue;
      }
      uint32_t given = 0;
      for (const auto& [keyword, label] : rules_) {
        if (obey_top_k_ && options.top_k > 0 && given == options.top_k) break;
        if (texts[i].find(keyword) != std::string_view::npos &&
            score_ >= options.min_score) {
          const std::string_view evidence[] = {keyword};
          out.AddLabel(i, label, score_, evidence);
          ++given;
        }
      }
      if (report_batch_size_) out.AddLabel(i, batch_label, 1.0f);
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>> rules_;
  float score_ = 0.9f;
  bool obey_top_k_ = false;
  std::string fail_marker_;
  std::string fail_all_marker_;
  std::string throw_marker_;
  int sleep_ms_ = 0;
  bool report_batch_size_ = false;
  std::atomic<bool> stop_logging_{false};
  std::thread logger_;
};

}  // namespace

// Built twice, as keyword.so and keyword_v2.so, to test swapping a plugin
// library for a rebuilt one.
#ifndef KEYWORD_PLUGIN_VERSION
#define KEYWORD_PLUGIN_VERSION "1.2.3"
#endif

CLASSIFYD_PLUGIN(KeywordClassifier, "keyword", KEYWORD_PLUGIN_VERSION,
                 CLASSIFYD_CAP_EVIDENCE)
