#include "tsv_data.h"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "text/tokenizer.h"

namespace classifyd::train {
namespace {

bool IsValidLabel(std::string_view label) {
  if (label.empty()) return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::string Location(const std::string& path, int64_t line) {
  return path + ":" + std::to_string(line) + ": ";
}

}  // namespace

std::vector<Example> ReadTsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open '" + path + "'");
  std::vector<Example> examples;
  std::string line;
  int64_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) {
      throw std::runtime_error(Location(path, line_number) +
                               "expected 'label[,label...]<TAB>text'");
    }
    Example example;
    std::string_view labels(line.data(), tab);
    while (!labels.empty()) {
      const size_t comma = labels.find(',');
      std::string_view label = labels.substr(0, comma);
      if (!IsValidLabel(label)) {
        throw std::runtime_error(Location(path, line_number) + "bad label '" +
                                 std::string(label) +
                                 "' (use [a-z0-9_-], comma-separated)");
      }
      if (std::find(example.labels.begin(), example.labels.end(), label) ==
          example.labels.end()) {
        example.labels.emplace_back(label);
      }
      if (comma == std::string_view::npos) break;
      labels.remove_prefix(comma + 1);
    }
    if (example.labels.empty()) {
      throw std::runtime_error(Location(path, line_number) + "no label");
    }
    example.text = line.substr(tab + 1);
    examples.push_back(std::move(example));
  }
  if (in.bad()) throw std::runtime_error("error reading '" + path + "'");
  return examples;
}

TokenizeStats WriteFastTextFile(const std::vector<Example>& examples,
                                const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
  TokenizeStats stats;
  for (const Example& example : examples) {
    ++stats.rows;
    const std::string tokens = text::ToFastTextLine(example.text);
    if (tokens.empty()) {
      ++stats.empty;
      continue;
    }
    for (const std::string& label : example.labels) {
      out << kLabelPrefix << label << ' ';
    }
    out << tokens << '\n';
    ++stats.written;
    stats.tokens += 1 + std::count(tokens.begin(), tokens.end(), ' ');
  }
  out.close();
  if (!out) throw std::runtime_error("error writing '" + path + "'");
  return stats;
}

}  // namespace classifyd::train
