#include "metrics/process_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "metrics/families.h"

namespace classifyd {
namespace {

using prometheus::MetricType;

double ReadStatmPages(int field) {
  std::ifstream statm("/proc/self/statm");
  double value = -1;
  for (int i = 0; i <= field && statm >> value; ++i) {
  }
  return statm ? value : -1;
}

void AppendFamily(const char* name, const char* help, double value,
                  MetricType type, std::vector<prometheus::MetricFamily>* out) {
  if (value < 0) return;  // Not readable here: leave it out.
  prometheus::MetricFamily f = metrics::Family(name, help, type);
  if (type == MetricType::Counter) {
    metrics::AddCounter(f, {}, value);
  } else {
    metrics::AddGauge(f, {}, value);
  }
  out->push_back(std::move(f));
}

}  // namespace

ProcessStats ReadProcessStats() {
  ProcessStats stats;
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const double size_pages = ReadStatmPages(0);
  const double resident_pages = ReadStatmPages(1);
  if (size_pages >= 0) stats.virtual_bytes = size_pages * page;
  if (resident_pages >= 0) stats.resident_bytes = resident_pages * page;
  if (DIR* dir = opendir("/proc/self/fd")) {
    double fds = 0;
    while (const dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') ++fds;
    }
    closedir(dir);
    stats.open_fds = fds - 1;  // Not the one opendir() holds.
  }
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
    stats.max_fds = static_cast<double>(files.rlim_cur);
  }
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    stats.cpu_seconds =
        static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
        static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) /
            1e6;
  }
  // Field 22 of /proc/self/stat is the start time in clock ticks after
  // boot; /proc/stat's btime is the boot time. The name field (2) may hold
  // spaces, so count from its closing parenthesis.
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)),
                   std::istreambuf_iterator<char>());
  std::ifstream proc_stat("/proc/stat");
  std::string line;
  double boot_time = -1;
  while (std::getline(proc_stat, line)) {
    if (line.rfind("btime ", 0) == 0) boot_time = std::stod(line.substr(6));
  }
  const size_t paren = stat.rfind(')');
  if (paren != std::string::npos && boot_time >= 0) {
    std::istringstream fields(stat.substr(paren + 2));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) {
      if (i == 22) {
        stats.start_time_seconds =
            boot_time +
            std::stod(field) / static_cast<double>(sysconf(_SC_CLK_TCK));
      }
    }
  }
  return stats;
}

void AppendProcessFamilies(const ProcessStats& process,
                           std::vector<prometheus::MetricFamily>* out) {
  AppendFamily("process_resident_memory_bytes", "Resident memory size.",
               process.resident_bytes, MetricType::Gauge, out);
  AppendFamily("process_virtual_memory_bytes", "Virtual memory size.",
               process.virtual_bytes, MetricType::Gauge, out);
  AppendFamily("process_open_fds", "Open file descriptors.", process.open_fds,
               MetricType::Gauge, out);
  AppendFamily("process_max_fds",
               "Maximum number of open file descriptors (soft limit).",
               process.max_fds, MetricType::Gauge, out);
  AppendFamily("process_cpu_seconds_total", "User and system CPU time.",
               process.cpu_seconds, MetricType::Counter, out);
  AppendFamily("process_start_time_seconds",
               "Start time of the process, in Unix seconds.",
               process.start_time_seconds, MetricType::Gauge, out);
}

}  // namespace classifyd
