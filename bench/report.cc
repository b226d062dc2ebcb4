#include "report.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "bench_common.h"

namespace classifyd::bench {
namespace {

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string Fmt(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

// Thousands separators for docs/s.
std::string Count(double v) {
  std::string digits = Fmt(v, 0);
  std::string out;
  const size_t n = digits.size();
  for (size_t i = 0; i < n; ++i) {
    out += digits[i];
    if ((n - 1 - i) % 3 == 0 && i + 1 < n) out += ',';
  }
  return out;
}

struct Group {
  std::string scenario;
  std::string input;
  std::string latency_unit;
  std::vector<double> docs_per_s, p50, p99, cpu_per_doc, sys_per_doc, bytes;
  uint64_t errors = 0;
  uint64_t docs = 0;
  uint64_t labelled = 0;
};

int InputOrder(const std::string& input) {
  if (input == "headline") return 0;
  if (input == "1k") return 1;
  if (input == "10k") return 2;
  return 3;
}

}  // namespace

std::string Report(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open '" + path + "'");
  std::vector<std::string> order;  // Scenarios in order of first appearance.
  std::map<std::pair<std::string, std::string>, Group> groups;
  std::string line;
  while (std::getline(in, line)) {
    Result r;
    if (!ParseResultTsvRow(line, &r)) continue;
    if (std::find(order.begin(), order.end(), r.scenario) == order.end()) {
      order.push_back(r.scenario);
    }
    Group& g = groups[{r.scenario, r.input}];
    g.scenario = r.scenario;
    g.input = r.input;
    g.latency_unit = r.latency_unit;
    g.docs_per_s.push_back(r.docs_per_second());
    g.p50.push_back(r.p50_us);
    g.p99.push_back(r.p99_us);
    g.bytes.push_back(r.avg_doc_bytes);
    if (r.have_server_cpu && r.docs > 0) {
      g.cpu_per_doc.push_back(r.server_cpu.total_us() / r.docs);
      g.sys_per_doc.push_back(r.server_cpu.system_us / r.docs);
    }
    g.errors += r.errors;
    g.docs += r.docs;
    g.labelled += r.labelled;
  }
  if (groups.empty()) throw std::runtime_error("no result rows in '" + path + "'");

  // In-process first, then the rest in order of appearance; inputs ordered
  // headline, 1k, 10k.
  std::stable_partition(order.begin(), order.end(),
                        [](const std::string& s) { return s == "inprocess"; });
  std::vector<const Group*> rows;
  for (const std::string input : {"headline", "1k", "10k", ""}) {
    for (const std::string& scenario : order) {
      for (const auto& [key, g] : groups) {
        if (key.first != scenario) continue;
        const bool match = input.empty() ? InputOrder(key.second) == 3
                                         : key.second == input;
        if (match) rows.push_back(&g);
      }
    }
  }

  auto reference = [&](const std::string& input) -> const Group* {
    auto it = groups.find({"inprocess", input});
    return it == groups.end() ? nullptr : &it->second;
  };

  std::ostringstream out;
  out << "| input | scenario | runs | docs/s | p50 µs | p99 µs | latency of "
         "| server CPU µs/doc (sys) | CPU/doc vs in-process | overhead µs/doc "
         "| docs/s vs in-process |\n";
  out << "|---|---|--:|--:|--:|--:|---|--:|--:|--:|--:|\n";
  std::vector<std::string> notes;
  uint64_t total_errors = 0;
  for (const Group* g : rows) {
    const Group* ref = reference(g->input);
    const double dps = Median(g->docs_per_s);
    const bool have_cpu = !g->cpu_per_doc.empty();
    const double cpu = Median(g->cpu_per_doc);
    const double sys = Median(g->sys_per_doc);
    std::string cpu_ratio = "", dps_ratio = "", overhead = "";
    double ratio = 0;
    if (ref != nullptr && g != ref && !ref->cpu_per_doc.empty() && have_cpu) {
      ratio = cpu / Median(ref->cpu_per_doc);
      cpu_ratio = Fmt(ratio, 2) + "x";
      overhead = Fmt(cpu - Median(ref->cpu_per_doc), 1);
    }
    if (ref != nullptr && g != ref) {
      dps_ratio = Fmt(dps / Median(ref->docs_per_s), 2) + "x";
    }
    out << "| " << g->input << " (" << Fmt(Median(g->bytes), 0) << " B) | "
        << g->scenario << " | " << g->docs_per_s.size() << " | " << Count(dps)
        << " | " << Fmt(Median(g->p50), 1) << " | " << Fmt(Median(g->p99), 1)
        << " | " << g->latency_unit << " | "
        << (have_cpu ? Fmt(cpu, 2) + " (" + Fmt(sys, 2) + ")" : "-") << " | "
        << cpu_ratio << " | " << overhead << " | " << dps_ratio << " |\n";
    total_errors += g->errors;

    if (g->scenario == "inprocess" || !have_cpu) continue;
    auto check = [&](bool ok, const std::string& what) {
      notes.push_back(std::string(ok ? "PASS" : "FAIL") + "  " + g->scenario +
                      " / " + g->input + ": " + what);
    };
    if (g->scenario.rfind("batch-", 0) == 0 && ratio > 0) {
      check(ratio <= 1.3, "server CPU/doc " + Fmt(ratio, 2) +
                              "x in-process (target <= 1.3x)");
    }
    if (g->input == "10k" && ratio > 0) {
      check(ratio <= 1.2, "server CPU/doc " + Fmt(ratio, 2) +
                              "x in-process (target <= 1.2x for 10 KB docs)");
    }
    if (g->scenario.rfind("stream-", 0) == 0 && g->input == "headline") {
      check(cpu <= 10, "server CPU " + Fmt(cpu, 2) +
                           " µs/doc (target <= 10 µs for streamed headlines)");
    }
  }
  out << "\nTargets:\n";
  for (const std::string& n : notes) out << "  " << n << "\n";
  if (total_errors > 0) {
    out << "\nWARNING: " << total_errors
        << " errors (failed calls or documents) in these runs\n";
  }
  return out.str();
}

}  // namespace classifyd::bench
