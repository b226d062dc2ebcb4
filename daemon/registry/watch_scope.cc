#include "registry/watch_scope.h"

#include <sys/stat.h>

#include <filesystem>

namespace classifyd {
namespace {

namespace fs = std::filesystem;

// The Filesystem Hierarchy Standard's shared directories.
const std::set<std::string>& FhsDirectories() {
  static const auto* dirs = new std::set<std::string>{
      "/",          "/bin",         "/boot",      "/dev",
      "/dev/shm",   "/etc",         "/home",      "/lib",
      "/lib32",     "/lib64",       "/media",     "/mnt",
      "/opt",       "/proc",        "/root",      "/run",
      "/run/user",  "/sbin",        "/srv",       "/sys",
      "/tmp",       "/usr",         "/usr/bin",   "/usr/include",
      "/usr/lib",   "/usr/lib32",   "/usr/lib64", "/usr/libexec",
      "/usr/local", "/usr/local/bin", "/usr/local/etc", "/usr/local/lib",
      "/usr/local/share", "/usr/sbin", "/usr/share", "/var",
      "/var/cache", "/var/lib",     "/var/log",   "/var/run",
      "/var/tmp"};
  return *dirs;
}

}  // namespace

bool IsSystemDirectory(const std::string& dir) {
  if (FhsDirectories().count(dir) != 0) return true;
  // Debian's multiarch library directories (/usr/lib/x86_64-linux-gnu).
  const fs::path path(dir);
  const std::string parent = path.parent_path().string();
  if ((parent == "/usr/lib" || parent == "/lib") &&
      path.filename().string().find("-linux-") != std::string::npos) {
    return true;
  }
  // Shared scratch directories ($TMPDIR and the like): anyone writes there.
  struct stat st;
  return stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
         (st.st_mode & S_ISVTX) != 0 && (st.st_mode & S_IWOTH) != 0;
}

WatchScope PlanWatches(const std::string& plugin_dir,
                       const std::set<std::string>& files,
                       const std::set<std::string>& manifests) {
  WatchScope scope;
  std::set<std::string> by_name = files;
  if (IsSystemDirectory(plugin_dir)) {
    scope.refused_plugin_dir = plugin_dir;
    by_name.insert(manifests.begin(), manifests.end());
  } else {
    scope.directories[plugin_dir];  // Every name.
  }
  for (const std::string& file : by_name) {
    const fs::path path(file);
    const std::string dir = path.parent_path().string();
    if (IsSystemDirectory(dir)) {
      scope.files.insert(file);
      continue;
    }
    auto [it, added] = scope.directories.try_emplace(dir);
    // The plugin directory already takes every name.
    if (added || !it->second.empty()) {
      it->second.insert(path.filename().string());
    }
  }
  return scope;
}

}  // namespace classifyd
