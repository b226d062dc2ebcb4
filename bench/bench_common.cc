#include "bench_common.h"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace classifyd::bench {

std::vector<std::string> ReadHeadlines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open headlines file '" + path + "'");
  std::vector<std::string> headlines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    headlines.push_back(line);
  }
  if (headlines.empty()) {
    throw std::runtime_error("headlines file '" + path + "' has no headline");
  }
  return headlines;
}

std::vector<std::string> BuildDocuments(const std::vector<std::string>& headlines,
                                        const std::string& kind) {
  if (kind == "headline") return headlines;
  size_t target = 0;
  size_t count = 0;
  if (kind == "1k") {
    target = 1024;
    count = 2000;
  } else if (kind == "10k") {
    target = 10240;
    count = 500;
  } else {
    throw std::invalid_argument("unknown input '" + kind +
                                "' (expected headline, 1k or 10k)");
  }
  static constexpr char kJoiner[] = "。";
  std::vector<std::string> docs;
  docs.reserve(count);
  size_t cursor = 0;
  for (size_t i = 0; i < count; ++i) {
    std::string doc;
    doc.reserve(target + 256);
    while (doc.size() < target) {
      if (!doc.empty()) doc += kJoiner;
      doc += headlines[cursor];
      cursor = (cursor + 1) % headlines.size();
    }
    docs.push_back(std::move(doc));
  }
  return docs;
}

void LatencySamples::Merge(const LatencySamples& other) {
  samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
}

double LatencySamples::PercentileMicros(double p) {
  if (samples_.empty()) return 0;
  std::sort(samples_.begin(), samples_.end());
  // Nearest rank.
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * samples_.size()));
  rank = std::clamp<size_t>(rank, 1, samples_.size());
  return samples_[rank - 1] / 1000.0;
}

long ReadProcessStatus(pid_t pid, const std::string& key) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string k;
  while (status >> k) {
    if (k == key) {
      long value = -1;
      status >> value;
      return value;
    }
    status.ignore(1 << 20, '\n');
  }
  return -1;
}

CpuTimes ReadProcessCpu(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  std::ifstream in(path);
  std::string stat;
  if (!in || !std::getline(in, stat)) {
    throw std::runtime_error("cannot read " + path + " (is the server running?)");
  }
  // The command name (field 2) may contain spaces; fields after it are
  // plain. After ")" come field 3 (state) ... field 14 (utime), 15 (stime).
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) throw std::runtime_error("malformed " + path);
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && (fields >> field); ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  const double tick_us = 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
  return {utime * tick_us, stime * tick_us};
}

CpuTimes ReadSelfCpu() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto us = [](const timeval& t) { return t.tv_sec * 1e6 + t.tv_usec; };
  return {us(usage.ru_utime), us(usage.ru_stime)};
}

CpuTimes ReadThreadCpu() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  auto us = [](const timeval& t) { return t.tv_sec * 1e6 + t.tv_usec; };
  return {us(usage.ru_utime), us(usage.ru_stime)};
}

namespace {

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

}  // namespace

std::string ResultTsvHeader() {
  return "scenario\tinput\tlatency_unit\tavg_doc_bytes\tdocs\tseconds\t"
         "docs_per_s\tp50_us\tp99_us\tserver_user_us\tserver_sys_us\t"
         "client_cpu_us\terrors\tlabelled";
}

std::string ResultTsvRow(const Result& r) {
  std::string row;
  auto add = [&row](const std::string& v) {
    if (!row.empty()) row += '\t';
    row += v;
  };
  add(r.scenario);
  add(r.input);
  add(r.latency_unit);
  add(Fixed(r.avg_doc_bytes, 0));
  add(std::to_string(r.docs));
  add(Fixed(r.seconds, 3));
  add(Fixed(r.docs_per_second(), 1));
  add(Fixed(r.p50_us, 1));
  add(Fixed(r.p99_us, 1));
  add(r.have_server_cpu ? Fixed(r.server_cpu.user_us, 0) : "-");
  add(r.have_server_cpu ? Fixed(r.server_cpu.system_us, 0) : "-");
  add(Fixed(r.client_cpu.total_us(), 0));
  add(std::to_string(r.errors));
  add(std::to_string(r.labelled));
  return row;
}

bool ParseResultTsvRow(const std::string& line, Result* r) {
  std::vector<std::string> f;
  std::istringstream in(line);
  std::string field;
  while (std::getline(in, field, '\t')) f.push_back(field);
  if (f.size() != 14 || f[0] == "scenario") return false;
  try {
    r->scenario = f[0];
    r->input = f[1];
    r->latency_unit = f[2];
    r->avg_doc_bytes = std::stod(f[3]);
    r->docs = std::stoull(f[4]);
    r->seconds = std::stod(f[5]);
    r->p50_us = std::stod(f[7]);
    r->p99_us = std::stod(f[8]);
    r->have_server_cpu = f[9] != "-";
    if (r->have_server_cpu) {
      r->server_cpu = {std::stod(f[9]), std::stod(f[10])};
    }
    r->client_cpu = {std::stod(f[11]), 0};
    r->errors = std::stoull(f[12]);
    r->labelled = std::stoull(f[13]);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

std::string ResultText(const Result& r) {
  std::ostringstream out;
  const double docs = r.docs > 0 ? static_cast<double>(r.docs) : 1;
  out << r.scenario << " on " << r.input << " (avg " << Fixed(r.avg_doc_bytes, 0)
      << " bytes/doc): " << r.docs << " docs in " << Fixed(r.seconds, 2)
      << " s = " << Fixed(r.docs_per_second(), 0) << " docs/s\n";
  out << "  latency per " << r.latency_unit << ": p50 " << Fixed(r.p50_us, 1)
      << " us, p99 " << Fixed(r.p99_us, 1) << " us\n";
  if (r.have_server_cpu) {
    out << "  server CPU: " << Fixed(r.server_cpu.total_us() / docs, 2)
        << " us/doc (user " << Fixed(r.server_cpu.user_us / docs, 2)
        << ", sys " << Fixed(r.server_cpu.system_us / docs, 2) << ")\n";
  }
  out << "  client CPU: " << Fixed(r.client_cpu.total_us() / docs, 2)
      << " us/doc\n";
  out << "  errors: " << r.errors << ", labelled docs: " << r.labelled << " ("
      << Fixed(100.0 * r.labelled / docs, 1) << "%)\n";
  return out.str();
}

double AverageBytes(const std::vector<std::string>& docs) {
  double total = 0;
  for (const auto& d : docs) total += d.size();
  return docs.empty() ? 0 : total / docs.size();
}

}  // namespace classifyd::bench
