// classifyd-lexicon: checks a lexicon rules file and classifies text with it,
// exactly as the lexicon plugin does, without a daemon.
//
//   classifyd-lexicon check RULES
//       Parses and compiles RULES; prints what it holds, or the error
//       (file, line, label, rule) and exits 1.
//   classifyd-lexicon classify RULES [--max-evidence N] [FILE]
//       Classifies each line of FILE (default: stdin) as one document and
//       prints one JSON object per line:
//       {"labels":[{"label":"fraud","score":0.99,"evidence":["电诈"]}]}
//
// models/lexicon/evaluate.py uses `classify` to measure the rules.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include "lexicon.h"
#include "rules.h"

namespace {

constexpr const char* kUsage =
    "usage: classifyd-lexicon check RULES\n"
    "       classifyd-lexicon classify RULES [--max-evidence N] [FILE]\n";

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out->append(buf);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

int Check(const std::string& path) {
  classifyd::lexicon::Lexicon lexicon(classifyd::lexicon::LoadRules(path));
  const auto& s = lexicon.stats();
  std::cout << path << ": OK, " << s.labels << " labels, " << s.terms
            << " terms, " << s.patterns << " patterns, " << s.excludes
            << " exclusions, " << s.ignores << " ignore rules\n";
  for (const std::string& label : lexicon.Labels()) {
    std::cout << "  " << label << "\n";
  }
  return 0;
}

int Classify(const std::string& path, size_t max_evidence, std::istream& in) {
  classifyd::lexicon::Lexicon lexicon(classifyd::lexicon::LoadRules(path));
  std::string line;
  std::string out;
  char score[32];
  while (std::getline(in, line)) {
    out = "{\"labels\":[";
    bool first = true;
    for (const auto& label : lexicon.Classify(line, max_evidence)) {
      if (!first) out += ',';
      first = false;
      out += "{\"label\":";
      AppendJsonString(label.label, &out);
      std::snprintf(score, sizeof(score), "%.4f", label.score);
      out += ",\"score\":";
      out += score;
      out += ",\"evidence\":[";
      for (size_t i = 0; i < label.evidence.size(); ++i) {
        if (i > 0) out += ',';
        AppendJsonString(label.evidence[i], &out);
      }
      out += "]}";
    }
    out += "]}\n";
    std::cout << out;
  }
  std::cout.flush();
  return std::cout ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  if (argc < 3) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  const std::string rules = argv[2];
  try {
    if (command == "check" && argc == 3) return Check(rules);
    if (command == "classify") {
      size_t max_evidence = 10;
      std::string file;
      for (int i = 3; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--max-evidence" && i + 1 < argc) {
          max_evidence = std::strtoul(argv[++i], nullptr, 10);
        } else if (file.empty() && arg.rfind("--", 0) != 0) {
          file = arg;
        } else {
          std::cerr << kUsage;
          return 2;
        }
      }
      if (file.empty()) return Classify(rules, max_evidence, std::cin);
      std::ifstream in(file);
      if (!in) {
        std::cerr << "classifyd-lexicon: cannot read '" << file << "'\n";
        return 1;
      }
      return Classify(rules, max_evidence, in);
    }
  } catch (const std::exception& e) {
    std::cerr << "classifyd-lexicon: " << e.what() << "\n";
    return 1;
  }
  std::cerr << kUsage;
  return 2;
}
