#include "eval_command.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <set>
#include <stdexcept>

#include "label_metrics.h"
#include "scored_model.h"
#include "tool_format.h"
#include "tsv_data.h"

namespace classifyd::train {
namespace {

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

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

void WriteRuleJson(const RuleMetrics& rule, std::ostream& out) {
  const LabelCounts micro = rule.Micro();
  out << "{\"macro_f1\": " << Fixed(rule.MacroF1(), 6)
      << ", \"micro_precision\": " << Fixed(micro.Precision(), 6)
      << ", \"micro_recall\": " << Fixed(micro.Recall(), 6)
      << ", \"micro_f1\": " << Fixed(micro.F1(), 6)
      << ", \"labels_emitted\": " << rule.emitted
      << ", \"docs_without_label\": " << rule.docs_without
      << ", \"docs_exact_match\": " << rule.docs_exact << ", \"labels\": {";
  bool first = true;
  for (const auto& [label, c] : rule.labels) {
    out << (first ? "" : ", ") << JsonString(label)
        << ": {\"support\": " << c.support << ", \"predicted\": " << c.predicted
        << ", \"correct\": " << c.correct
        << ", \"precision\": " << Fixed(c.Precision(), 6)
        << ", \"recall\": " << Fixed(c.Recall(), 6)
        << ", \"f1\": " << Fixed(c.F1(), 6) << "}";
    first = false;
  }
  out << "}}";
}

void WriteEvalJson(const Model& model, const EvalOptions& options,
                   const std::vector<SetMetrics>& sets, std::ostream& out) {
  const fasttext::Args args = model.fasttext().getArgs();
  auto dictionary = model.fasttext().getDictionary();
  out << "{\n  \"model\": {\"path\": " << JsonString(options.model)
      << ", \"bytes\": " << std::filesystem::file_size(options.model)
      << ", \"quantized\": " << (model.fasttext().isQuant() ? "true" : "false")
      << ", \"loss\": " << JsonString(args.lossToString(args.loss))
      << ", \"dim\": " << args.dim << ", \"epoch\": " << args.epoch
      << ", \"word_ngrams\": " << args.wordNgrams
      << ", \"min_count\": " << args.minCount << ", \"bucket\": " << args.bucket
      << ", \"words\": " << dictionary->nwords() << ", \"labels\": [";
  for (size_t i = 0; i < model.labels().size(); ++i) {
    out << (i ? ", " : "") << JsonString(model.labels()[i]);
  }
  out << "]},\n  \"operating_point\": {\"k\": " << options.k
      << ", \"threshold\": " << options.threshold << "},\n  \"sets\": {";
  for (size_t i = 0; i < sets.size(); ++i) {
    const SetMetrics& m = sets[i];
    out << (i ? "," : "") << "\n    " << JsonString(m.name)
        << ": {\"path\": " << JsonString(m.path) << ", \"docs\": " << m.docs
        << ", \"docs_without_tokens\": " << m.empty
        << ", \"top1_accuracy\": " << Fixed(m.Accuracy(), 6)
        << ", \"macro_f1\": " << Fixed(m.top1.MacroF1(), 6)
        << ", \"unknown_labels\": [";
    bool first = true;
    for (const std::string& label : m.unknown_labels) {
      out << (first ? "" : ", ") << JsonString(label);
      first = false;
    }
    out << "],\n      \"top1_by_score\": [";
    for (size_t b = 0; b < m.by_score.size(); ++b) {
      out << (b ? ", " : "") << "{\"min\": " << kScoreBins[b]
          << ", \"max\": " << std::min(kScoreBins[b + 1], 1.0f)
          << ", \"docs\": " << m.by_score[b].first
          << ", \"correct\": " << m.by_score[b].second << "}";
    }
    out << "],\n      \"top1\": ";
    WriteRuleJson(m.top1, out);
    out << ",\n      \"operating_point\": ";
    WriteRuleJson(m.op, out);
    out << "}";
  }
  out << "\n  }\n}\n";
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
