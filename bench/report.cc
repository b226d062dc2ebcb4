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

// The runs of one scenario on one input on one server.
struct Group {
  std::string scenario;  // As recorded: "stream-x1", "stream-x1@python".
  std::string input;
  std::string latency_unit;
  std::vector<double> docs_per_s, p50, p99, cpu_per_doc, sys_per_doc, bytes;
  uint64_t errors = 0;
  uint64_t docs = 0;

  double dps() const { return Median(docs_per_s); }
  bool have_cpu() const { return !cpu_per_doc.empty(); }
  double cpu() const { return Median(cpu_per_doc); }
};

using Key = std::pair<std::string, std::string>;  // (scenario, input)

// "stream-x1@python" -> {"stream-x1", "python"}; classifyd's own rows
// have no server part.
std::pair<std::string, std::string> SplitServer(const std::string& scenario) {
  const size_t at = scenario.find('@');
  if (at == std::string::npos) return {scenario, ""};
  return {scenario.substr(0, at), scenario.substr(at + 1)};
}

struct Results {
  std::map<Key, Group> groups;
  std::vector<std::string> order;  // classifyd's scenarios, in-process first.
  std::vector<std::string> inputs;  // headline, 1k, 10k, then others.

  const Group* Find(const std::string& scenario, const std::string& input) const {
    auto it = groups.find({scenario, input});
    return it == groups.end() ? nullptr : &it->second;
  }
};

Results Read(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open '" + path + "'");
  Results res;
  std::string line;
  while (std::getline(in, line)) {
    Result r;
    if (!ParseResultTsvRow(line, &r)) continue;
    const std::string base = SplitServer(r.scenario).first;
    if (std::find(res.order.begin(), res.order.end(), base) == res.order.end()) {
      res.order.push_back(base);
    }
    if (std::find(res.inputs.begin(), res.inputs.end(), r.input) == res.inputs.end()) {
      res.inputs.push_back(r.input);
    }
    Group& g = res.groups[{r.scenario, r.input}];
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
  }
  if (res.groups.empty()) throw std::runtime_error("no result rows in '" + path + "'");
  std::stable_partition(res.order.begin(), res.order.end(),
                        [](const std::string& s) { return s == "inprocess"; });
  auto rank = [](const std::string& input) {
    return input == "headline" ? 0 : input == "1k" ? 1 : input == "10k" ? 2 : 3;
  };
  std::stable_sort(res.inputs.begin(), res.inputs.end(),
                   [&](const std::string& a, const std::string& b) {
                     return rank(a) < rank(b);
                   });
  return res;
}

// classifyd's CPU per document over the in-process reference's; 0 when
// either has no CPU figure.
double CpuRatio(const Results& res, const Group& g) {
  const Group* ref = res.Find("inprocess", g.input);
  if (ref == nullptr || ref == &g || !ref->have_cpu() || !g.have_cpu()) return 0;
  return g.cpu() / ref->cpu();
}

std::string MainTable(const Results& res) {
  std::ostringstream out;
  out << "| input | scenario | runs | docs/s | p50 µs | p99 µs | latency of "
         "| server CPU µs/doc (sys) | CPU/doc vs in-process | overhead µs/doc "
         "| docs/s vs in-process |\n";
  out << "|---|---|--:|--:|--:|--:|---|--:|--:|--:|--:|\n";
  for (const std::string& input : res.inputs) {
    const Group* ref = res.Find("inprocess", input);
    for (const std::string& scenario : res.order) {
      const Group* g = res.Find(scenario, input);
      if (g == nullptr) continue;
      const double ratio = CpuRatio(res, *g);
      std::string dps_ratio;
      if (ref != nullptr && g != ref) dps_ratio = Fmt(g->dps() / ref->dps(), 2) + "x";
      out << "| " << input << " (" << Fmt(Median(g->bytes), 0) << " B) | "
          << scenario << " | " << g->docs_per_s.size() << " | "
          << Count(g->dps()) << " | " << Fmt(Median(g->p50), 1) << " | "
          << Fmt(Median(g->p99), 1) << " | " << g->latency_unit << " | "
          << (g->have_cpu() ? Fmt(g->cpu(), 2) + " (" +
                                  Fmt(Median(g->sys_per_doc), 2) + ")"
                            : "-")
          << " | " << (ratio > 0 ? Fmt(ratio, 2) + "x" : "") << " | "
          << (ratio > 0 ? Fmt(g->cpu() - ref->cpu(), 1) : "") << " | "
          << dps_ratio << " |\n";
    }
  }
  return out.str();
}

// classifyd beside the peer servers, where the run had them.
std::string PeerTable(const Results& res) {
  std::ostringstream out;
  out << "| input | scenario | classifyd µs/doc | x in-process | sync C++ "
         "µs/doc | classifyd CPU ÷ sync C++ | Python µs/doc | classifyd "
         "docs/s ÷ Python's |\n";
  out << "|---|---|--:|--:|--:|--:|--:|--:|\n";
  bool any = false;
  auto cpu = [](const Group* g) { return g && g->have_cpu() ? Fmt(g->cpu(), 1) : "-"; };
  for (const std::string& input : res.inputs) {
    for (const std::string& scenario : res.order) {
      const Group* own = res.Find(scenario, input);
      const Group* sync = res.Find(scenario + "@sync-cpp", input);
      const Group* python = res.Find(scenario + "@python", input);
      if (own == nullptr || (sync == nullptr && python == nullptr)) continue;
      any = true;
      const double ratio = CpuRatio(res, *own);
      out << "| " << input << " | " << scenario << " | " << cpu(own) << " | "
          << (ratio > 0 ? Fmt(ratio, 2) + "x" : "") << " | " << cpu(sync)
          << " | "
          << (sync && sync->have_cpu() && own->have_cpu()
                  ? Fmt(own->cpu() / sync->cpu(), 2) + "x"
                  : "")
          << " | " << cpu(python) << " | "
          << (python ? Fmt(own->dps() / python->dps(), 1) + "x" : "") << " |\n";
    }
  }
  return any ? out.str() : "";
}

// The performance targets, one line each, for every scenario measured.
std::vector<std::string> Targets(const Results& res) {
  std::vector<std::string> notes;
  for (const std::string& input : res.inputs) {
    for (const std::string& scenario : res.order) {
      const Group* g = res.Find(scenario, input);
      if (g == nullptr || scenario == "inprocess" || !g->have_cpu()) continue;
      auto check = [&](bool ok, const std::string& what) {
        notes.push_back(std::string(ok ? "PASS" : "FAIL") + "  " + scenario +
                        " / " + input + ": " + what);
      };
      const double ratio = CpuRatio(res, *g);
      auto vs_inprocess = [&](double bound) {
        if (ratio > 0) {
          check(ratio <= bound, "server CPU/doc " + Fmt(ratio, 2) +
                                    "x in-process (target <= " + Fmt(bound, 2) + "x)");
        }
      };
      if (input == "10k") {
        vs_inprocess(1.2);
      } else if (scenario.rfind("batch-", 0) == 0) {
        vs_inprocess(1.15);
      } else if (scenario.rfind("client-", 0) == 0) {
        vs_inprocess(1.3);  // A shipped client's streaming helper.
      } else if (scenario.rfind("stream-", 0) == 0) {
        vs_inprocess(2.0);
      } else if (scenario == "unary-c16") {
        vs_inprocess(3.0);
      }
      if (scenario == "unary-c1" && input == "headline") {
        const double p50 = Median(g->p50);
        check(p50 <= 150, "idle latency p50 " + Fmt(p50, 1) + " µs (target <= 150 µs)");
      }
      if (const Group* python = res.Find(scenario + "@python", input)) {
        const double x = g->dps() / python->dps();
        check(x >= 5, "docs/s " + Fmt(x, 1) + "x the Python peer's (target >= 5x)");
      }
      const Group* sync = res.Find(scenario + "@sync-cpp", input);
      if (sync != nullptr && sync->have_cpu()) {
        const double x = g->cpu() / sync->cpu();
        check(x <= 0.8, "CPU/doc " + Fmt(x, 2) +
                            "x the sync C++ peer's (target <= 0.8x)");
      }
    }
  }
  return notes;
}

}  // namespace

std::string Report(const std::string& path) {
  const Results res = Read(path);
  std::ostringstream out;
  out << MainTable(res);
  const std::string peers = PeerTable(res);
  if (!peers.empty()) out << "\nBeside the peer servers (medians):\n\n" << peers;
  out << "\nTargets:\n";
  for (const std::string& n : Targets(res)) out << "  " << n << "\n";
  uint64_t errors = 0;
  for (const auto& [key, g] : res.groups) errors += g.errors;
  if (errors > 0) {
    out << "\nWARNING: " << errors
        << " errors (failed calls or documents) in these runs\n";
  }
  return out.str();
}

}  // namespace classifyd::bench
