#include "eval_command.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "label_metrics.h"
#include "scored_model.h"
#include "tool_format.h"
#include "tsv_data.h"

namespace classifyd::train {
namespace {

// Edges of the score bins of SetMetrics::by_score.
constexpr std::array<float, 6> kScoreBins = {0.0f, 0.1f,  0.5f,
                                             0.9f, 0.99f, 1.01f};

int ScoreBin(float score) {
  for (size_t i = 1; i + 1 < kScoreBins.size(); ++i) {
    if (score < kScoreBins[i]) return static_cast<int>(i) - 1;
  }
  return static_cast<int>(kScoreBins.size()) - 2;
}

struct SetMetrics {
  std::string name;
  std::string path;
  int64_t docs = 0;
  int64_t empty = 0;         // Documents without tokens (no prediction).
  int64_t top1_correct = 0;  // Top label is one of the gold labels.
  RuleMetrics top1;
  RuleMetrics op;  // Top-k with threshold: the serving operating point.
  std::set<std::string> unknown_labels;  // Gold labels the model lacks.
  // Top-1 accuracy by the top label's score: is the score a probability?
  std::vector<std::pair<int64_t, int64_t>> by_score =
      std::vector<std::pair<int64_t, int64_t>>(kScoreBins.size() - 1);

  double Accuracy() const {
    return docs == 0 ? 0.0 : static_cast<double>(top1_correct) / docs;
  }
};

SetMetrics Evaluate(const Model& model, const std::string& name,
                    const std::string& path, int k, float threshold) {
  SetMetrics metrics;
  metrics.name = name;
  metrics.path = path;
  const int32_t all = static_cast<int32_t>(model.labels().size());
  const std::set<std::string> known(model.labels().begin(),
                                    model.labels().end());
  for (const Example& example : ReadTsv(path)) {
    ++metrics.docs;
    for (const std::string& label : example.labels) {
      if (!known.count(label)) metrics.unknown_labels.insert(label);
    }
    const auto ranked = model.Predict(example.text, all, 0.0f);
    if (ranked.empty()) ++metrics.empty;
    std::vector<std::string> top1;
    if (!ranked.empty()) {
      top1.push_back(ranked.front().first);
      const bool correct =
          std::find(example.labels.begin(), example.labels.end(),
                    ranked.front().first) != example.labels.end();
      auto& bin = metrics.by_score[ScoreBin(ranked.front().second)];
      ++bin.first;
      if (correct) {
        ++metrics.top1_correct;
        ++bin.second;
      }
    }
    metrics.top1.Add(example.labels, top1);
    std::vector<std::string> op;
    for (int i = 0; i < k && i < static_cast<int>(ranked.size()); ++i) {
      if (ranked[i].second < threshold) break;
      op.push_back(ranked[i].first);
    }
    metrics.op.Add(example.labels, op);
  }
  return metrics;
}

void PrintSet(const SetMetrics& m, int k, double threshold, std::ostream& out) {
  const LabelCounts micro = m.op.Micro();
  out << "== " << m.name << " (" << m.path << ")\n"
      << "documents " << m.docs << ", without tokens " << m.empty
      << "\ntop-1 accuracy " << Fixed(m.Accuracy()) << ", macro-F1 (top-1) "
      << Fixed(m.top1.MacroF1()) << "\nat top-" << k
      << ", score >= " << Fixed(threshold, 2) << ": micro P "
      << Fixed(micro.Precision()) << " R " << Fixed(micro.Recall()) << " F1 "
      << Fixed(micro.F1()) << ", macro-F1 " << Fixed(m.op.MacroF1())
      << ", labels/doc "
      << Fixed(m.docs ? static_cast<double>(m.op.emitted) / m.docs : 0, 2)
      << ", docs without label " << m.op.docs_without << "\n";
  if (!m.unknown_labels.empty()) {
    out << "gold labels the model cannot emit:";
    for (const std::string& label : m.unknown_labels) out << ' ' << label;
    out << "\n";
  }
  out << std::left << std::setw(14) << "label" << std::right << std::setw(9)
      << "support" << std::setw(10) << "predicted" << std::setw(11)
      << "precision" << std::setw(8) << "recall" << std::setw(8) << "f1"
      << "   (top-1 rule)\n";
  for (const auto& [label, c] : m.top1.labels) {
    out << std::left << std::setw(14) << label << std::right << std::setw(9)
        << c.support << std::setw(10) << c.predicted << std::setw(11)
        << Fixed(c.Precision()) << std::setw(8) << Fixed(c.Recall())
        << std::setw(8) << Fixed(c.F1()) << "\n";
  }
  out << "\n";
}

// Six decimals, as the committed metrics.json has always had.
double Round6(double value) { return std::round(value * 1e6) / 1e6; }

nlohmann::ordered_json RuleJson(const RuleMetrics& rule) {
  const LabelCounts micro = rule.Micro();
  nlohmann::ordered_json labels = nlohmann::ordered_json::object();
  for (const auto& [label, c] : rule.labels) {
    labels[label] = {
        {"support", c.support},         {"predicted", c.predicted},
        {"correct", c.correct},         {"precision", Round6(c.Precision())},
        {"recall", Round6(c.Recall())}, {"f1", Round6(c.F1())}};
  }
  return {{"macro_f1", Round6(rule.MacroF1())},
          {"micro_precision", Round6(micro.Precision())},
          {"micro_recall", Round6(micro.Recall())},
          {"micro_f1", Round6(micro.F1())},
          {"labels_emitted", rule.emitted},
          {"docs_without_label", rule.docs_without},
          {"docs_exact_match", rule.docs_exact},
          {"labels", labels}};
}

nlohmann::ordered_json SetJson(const SetMetrics& m) {
  nlohmann::ordered_json bins = nlohmann::ordered_json::array();
  for (size_t b = 0; b < m.by_score.size(); ++b) {
    bins.push_back({{"min", Round6(kScoreBins[b])},
                    {"max", Round6(std::min(kScoreBins[b + 1], 1.0f))},
                    {"docs", m.by_score[b].first},
                    {"correct", m.by_score[b].second}});
  }
  return {{"path", m.path},
          {"docs", m.docs},
          {"docs_without_tokens", m.empty},
          {"top1_accuracy", Round6(m.Accuracy())},
          {"macro_f1", Round6(m.top1.MacroF1())},
          {"unknown_labels", m.unknown_labels},
          {"top1_by_score", bins},
          {"top1", RuleJson(m.top1)},
          {"operating_point", RuleJson(m.op)}};
}

void WriteEvalJson(const Model& model, const EvalOptions& options,
                   const std::vector<SetMetrics>& sets, std::ostream& out) {
  const fasttext::Args args = model.fasttext().getArgs();
  nlohmann::ordered_json json;
  json["model"] = {{"path", options.model},
                   {"bytes", std::filesystem::file_size(options.model)},
                   {"quantized", model.fasttext().isQuant()},
                   {"loss", args.lossToString(args.loss)},
                   {"dim", args.dim},
                   {"epoch", args.epoch},
                   {"word_ngrams", args.wordNgrams},
                   {"min_count", args.minCount},
                   {"bucket", args.bucket},
                   {"words", model.fasttext().getDictionary()->nwords()},
                   {"labels", model.labels()}};
  json["operating_point"] = {{"k", options.k},
                             {"threshold", options.threshold}};
  json["sets"] = nlohmann::ordered_json::object();
  for (const SetMetrics& m : sets) json["sets"][m.name] = SetJson(m);
  out << json.dump(2) << '\n';
}

}  // namespace

int RunEval(const EvalOptions& options) {
  const Model model(options.model);
  std::vector<SetMetrics> sets;
  std::set<std::string> names;
  for (const std::string& test : options.tests) {
    const size_t eq = test.find('=');
    std::string name = eq == std::string::npos ? test : test.substr(0, eq);
    std::string path = eq == std::string::npos ? test : test.substr(eq + 1);
    if (!names.insert(name).second) {
      throw std::runtime_error("eval: test set name '" + name +
                               "' given twice");
    }
    sets.push_back(Evaluate(model, name, path, options.k,
                            static_cast<float>(options.threshold)));
    if (!options.quiet) {
      PrintSet(sets.back(), options.k, options.threshold, std::cout);
    }
  }
  if (options.quiet) {
    for (const SetMetrics& m : sets) {
      std::cout << m.name << "\tdocs " << m.docs << "\ttop-1 "
                << Fixed(m.Accuracy()) << "\tmacro-F1 "
                << Fixed(m.top1.MacroF1()) << "\n";
    }
  }
  if (!options.json.empty()) {
    std::ofstream out(options.json, std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write '" + options.json + "'");
    WriteEvalJson(model, options, sets, out);
    out.close();
    if (!out) throw std::runtime_error("error writing '" + options.json + "'");
  }
  return 0;
}

}  // namespace classifyd::train
