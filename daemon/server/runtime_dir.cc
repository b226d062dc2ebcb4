#include "server/runtime_dir.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace classifyd {
namespace {

namespace fs = std::filesystem;

constexpr char kNamePrefix[] = "classifyd-";

// `classifyd-<digits>-XXXXXX`, the X being what mkdtemp puts there.
bool IsRuntimeDirName(const std::string& name) {
  const size_t prefix = sizeof kNamePrefix - 1;
  if (name.compare(0, prefix, kNamePrefix) != 0) return false;
  size_t at = prefix;
  while (at < name.size() && std::isdigit(static_cast<unsigned char>(name[at])))
    ++at;
  if (at == prefix || at >= name.size() || name[at] != '-') return false;
  ++at;
  if (name.size() - at != 6) return false;
  for (; at < name.size(); ++at) {
    if (!std::isalnum(static_cast<unsigned char>(name[at]))) return false;
  }
  return true;
}

// OK if `dir` is a directory (not a symlink) of the daemon's user that no
// one else may enter; else FAILED_PRECONDITION saying why not.
absl::Status CheckPrivateDir(const std::string& dir) {
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError("not a directory");
  }
  if (st.st_uid != geteuid()) {
    return absl::FailedPreconditionError("owned by uid " +
                                         std::to_string(st.st_uid) + ", not " +
                                         std::to_string(geteuid()));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", st.st_mode & 0777);
    return absl::FailedPreconditionError(
        std::string("open to other users (mode ") + mode + ")");
  }
  return absl::OkStatus();
}

struct PidRecord {
  pid_t pid = 0;
  unsigned long long start_time = 0;
};

// The pid file in `dir`, if it is there and complete.
std::optional<PidRecord> ReadPidFile(const std::string& dir) {
  const std::string path = dir + "/" + kPidFileName;
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char text[64] = {};
  const ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return std::nullopt;
  PidRecord record;
  long pid = 0;
  char end = 0;
  // Written in one piece ending in a newline: without it, it is still
  // being written.
  if (std::sscanf(text, "%ld %llu%c", &pid, &record.start_time, &end) != 3 ||
      end != '\n' || pid <= 0) {
    return std::nullopt;
  }
  record.pid = static_cast<pid_t>(pid);
  return record;
}

bool IsAlive(const PidRecord& record) {
  if (const auto start = ProcessStartTime(record.pid)) {
    return *start == record.start_time;
  }
  if (access("/proc/self/stat", R_OK) == 0) return false;  // No such process.
  // Without /proc, a pid that exists counts as alive: never remove a
  // directory in use.
  return kill(record.pid, 0) == 0 || errno == EPERM;
}

absl::Status WritePidFile(const std::string& dir) {
  const std::string path = dir + "/" + kPidFileName;
  const pid_t pid = getpid();
  const std::string text = std::to_string(pid) + " " +
                           std::to_string(ProcessStartTime(pid).value_or(0)) +
                           "\n";
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
           0600);
  if (fd < 0) {
    return absl::FailedPreconditionError("cannot create '" + path +
                                         "': " + strerror(errno));
  }
  const bool ok =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int err = errno;
  if (close(fd) != 0 || !ok) {
    return absl::FailedPreconditionError("cannot write '" + path +
                                         "': " + strerror(ok ? errno : err));
  }
  return absl::OkStatus();
}

// OK if `base`, the directory systemd made for the daemon, can be used as
// it is: private, and no other live daemon's.
absl::Status CheckUsableAsIs(const std::string& base) {
  if (absl::Status s = CheckPrivateDir(base); !s.ok()) return s;
  const auto record = ReadPidFile(base);
  if (record.has_value() && record->pid != getpid() && IsAlive(*record)) {
    return absl::FailedPreconditionError("it is in use by classifyd pid " +
                                         std::to_string(record->pid));
  }
  return absl::OkStatus();
}

bool SamePath(const std::string& a, const std::string& b) {
  std::error_code ec_a, ec_b;
  const fs::path ca = fs::weakly_canonical(a, ec_a);
  const fs::path cb = fs::weakly_canonical(b, ec_b);
  if (!ec_a && !ec_b) return ca == cb;
  return fs::path(a).lexically_normal() == fs::path(b).lexically_normal();
}

}  // namespace

std::string SystemdRuntimeDirectory() {
  const char* value = std::getenv("RUNTIME_DIRECTORY");
  if (value == nullptr) return "";
  const std::string list = value;
  return list.substr(0, list.find(':'));
}

std::optional<unsigned long long> ProcessStartTime(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // count fields from the last ')'. starttime is field 22; field 3 (state)
  // is the first after the ')'.
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  for (int i = 3; i < 22; ++i) fields >> field;
  unsigned long long start = 0;
  if (!(fields >> start)) return std::nullopt;
  return start;
}

int RemoveStaleRuntimeDirs(const std::string& base) {
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(base, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!IsRuntimeDirName(name)) continue;
    const std::string dir = it->path().string();
    struct stat st;
    if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
        st.st_uid != geteuid()) {
      continue;  // Not ours to judge.
    }
    const std::optional<PidRecord> record = ReadPidFile(dir);
    if (!record.has_value() || IsAlive(*record)) continue;
    std::error_code remove_ec;
    fs::remove_all(dir, remove_ec);
    if (remove_ec) {
      spdlog::warn("cannot remove '{}', left by classifyd pid {}: {}", dir,
                   record->pid, remove_ec.message());
      continue;
    }
    spdlog::info(
        "removed '{}', left by classifyd pid {}, which did not exit "
        "cleanly",
        dir, record->pid);
    ++removed;
  }
  return removed;
}

absl::StatusOr<std::unique_ptr<RuntimeDir>> RuntimeDir::Create(
    const std::string& base, const std::string& systemd_dir) {
  RemoveStaleRuntimeDirs(base);
  std::unique_ptr<RuntimeDir> dir;
  if (!systemd_dir.empty() && SamePath(base, systemd_dir)) {
    const absl::Status usable = CheckUsableAsIs(base);
    if (usable.ok()) {
      dir.reset(new RuntimeDir(base, /*owned=*/false));
      // Copies left by a run that did not exit cleanly.
      std::error_code ec;
      fs::remove_all(dir->plugin_copies(), ec);
    } else {
      spdlog::info(
          "$RUNTIME_DIRECTORY '{}' is not used as it is ({}): "
          "making a private directory in it",
          base, std::string(usable.message()));
    }
  }
  if (dir == nullptr) {
    std::string path =
        base + "/" + kNamePrefix + std::to_string(geteuid()) + "-XXXXXX";
    if (mkdtemp(path.data()) == nullptr) {
      return absl::FailedPreconditionError(
          "cannot create a directory in --runtime-dir '" + base +
          "': " + strerror(errno));
    }
    dir.reset(new RuntimeDir(path, /*owned=*/true));
    if (absl::Status s = CheckPrivateDir(path); !s.ok()) {
      return absl::FailedPreconditionError("runtime directory '" + path +
                                           "': " + std::string(s.message()));
    }
  }
  if (absl::Status s = WritePidFile(dir->path()); !s.ok()) return s;
  if (mkdir(dir->plugin_copies().c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(
        "cannot create '" + dir->plugin_copies() + "': " + strerror(errno));
  }
  spdlog::debug("runtime directory '{}'", dir->path());
  return dir;
}

RuntimeDir::~RuntimeDir() { Remove(); }

void RuntimeDir::Remove() {
  if (removed_) return;
  removed_ = true;
  std::error_code ec;
  if (owned_) {
    fs::remove_all(path_, ec);
  } else {
    fs::remove_all(plugin_copies(), ec);
    if (!ec) fs::remove(path_ + "/" + kPidFileName, ec);
  }
  if (ec) spdlog::warn("cannot clean up '{}': {}", path_, ec.message());
}

}  // namespace classifyd
