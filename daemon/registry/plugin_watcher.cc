#include "registry/plugin_watcher.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <utility>

#include "registry/watch_scope.h"

namespace classifyd {
namespace {

constexpr uint32_t kEvents = IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB |
                             IN_CREATE | IN_DELETE | IN_MOVED_FROM |
                             IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF;
// In the parent of a missing directory: a directory of that name appears.
constexpr uint32_t kParentEvents =
    IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF;
static_assert((kEvents & kParentEvents) == kParentEvents,
              "a full watch also serves as a parent watch");
// A file watched by itself: its contents or metadata change, or it is
// deleted or replaced (the old inode loses its link: IN_ATTRIB).
constexpr uint32_t kFileEvents = IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB |
                                 IN_DELETE_SELF | IN_MOVE_SELF;

std::string Parent(const std::string& dir) {
  return std::filesystem::path(dir).parent_path().string();
}

}  // namespace

std::unique_ptr<PluginWatcher> PluginWatcher::Start(
    const ClassifierRegistry* registry, ReloadCoordinator* coordinator,
    std::chrono::milliseconds quiet, std::chrono::milliseconds max_delay) {
  Targets targets = [registry] {
    WatchTargets t{registry->PluginDirectory(), registry->WatchedFiles(), {}};
    for (const ClassifierStatus& s : registry->List()) {
      t.manifests.insert(s.manifest_path);
    }
    return t;
  };
  return Start(std::move(targets),
               [coordinator] { coordinator->RequestRescan("files changed"); },
               quiet, max_delay);
}

std::unique_ptr<PluginWatcher> PluginWatcher::Start(
    Targets targets, Rescan rescan, std::chrono::milliseconds quiet,
    std::chrono::milliseconds max_delay) {
  const int inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd < 0) {
    spdlog::error("cannot watch plugin files (inotify: {}); reload with "
                  "SIGHUP or the admin API",
                  strerror(errno));
    return nullptr;
  }
  const int stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd < 0) {
    close(inotify_fd);
    spdlog::error("cannot watch plugin files (eventfd: {})", strerror(errno));
    return nullptr;
  }
  return std::unique_ptr<PluginWatcher>(
      new PluginWatcher(std::move(targets), std::move(rescan), inotify_fd,
                        stop_fd, quiet, max_delay));
}

PluginWatcher::PluginWatcher(Targets targets, Rescan rescan, int inotify_fd,
                             int stop_fd, std::chrono::milliseconds quiet,
                             std::chrono::milliseconds max_delay)
    : targets_(std::move(targets)),
      rescan_(std::move(rescan)),
      inotify_fd_(inotify_fd),
      stop_fd_(stop_fd),
      quiet_(quiet),
      max_delay_(max_delay) {
  UpdateWatches();
  thread_ = std::thread([this] { Run(); });
}

PluginWatcher::~PluginWatcher() {
  const uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof one) < 0) {
    spdlog::warn("cannot stop the plugin watcher cleanly");
  }
  thread_.join();
  close(inotify_fd_);
  close(stop_fd_);
}

bool PluginWatcher::UpdateWatches() {
  const WatchTargets targets = targets_();
  const WatchScope scope =
      PlanWatches(targets.plugin_dir, targets.files, targets.manifests);
  if (scope.refused_plugin_dir != refused_plugin_dir_) {
    refused_plugin_dir_ = scope.refused_plugin_dir;
    if (!refused_plugin_dir_.empty()) {
      spdlog::warn(
          "not watching plugin directory '{}' for new manifests: it is a "
          "system directory, where every file anyone changes would wake the "
          "daemon. Its manifests are watched by name; load new ones with "
          "SIGHUP or `classifyctl reload`, or use a directory of their own",
          refused_plugin_dir_);
    }
  }
  const bool dirs_back = UpdateDirectoryWatches(scope.directories);
  const bool files_back = UpdateFileWatches(scope.files);
  return dirs_back || files_back;
}

bool PluginWatcher::UpdateFileWatches(const std::set<std::string>& wanted) {
  bool returned = false;
  for (auto it = file_watches_.begin(); it != file_watches_.end();) {
    if (wanted.count(it->first) != 0) {
      ++it;
      continue;
    }
    inotify_rm_watch(inotify_fd_, it->second);
    it = file_watches_.erase(it);
  }
  for (auto it = missing_files_.begin(); it != missing_files_.end();) {
    it = wanted.count(*it) == 0 ? missing_files_.erase(it) : std::next(it);
  }
  for (const std::string& file : wanted) {
    if (file_watches_.count(file) != 0) continue;
    const int wd = inotify_add_watch(inotify_fd_, file.c_str(), kFileEvents);
    if (wd < 0) {
      if (missing_files_.insert(file).second) {
        spdlog::debug("cannot watch '{}' ({}): looking for it every second",
                      file, strerror(errno));
      }
      continue;
    }
    spdlog::debug("watching file '{}' by itself (its directory is a system "
                  "directory)", file);
    file_watches_[file] = wd;
    if (missing_files_.erase(file) != 0) {
      spdlog::debug("'{}' appeared; rescanning", file);
      returned = true;
    }
  }
  return returned;
}

bool PluginWatcher::UpdateDirectoryWatches(
    const std::map<std::string, std::set<std::string>>& wanted) {
  bool returned = false;
  for (auto it = missing_.begin(); it != missing_.end();) {
    it = wanted.count(*it) == 0 ? missing_.erase(it) : std::next(it);
  }
  for (const auto& [dir, names] : wanted) {
    auto it = watches_.find(dir);
    if (it != watches_.end() && it->second.full) {
      it->second.names = names;
      continue;
    }
    // Replaces the mask of a parent-only watch of the same directory.
    const int wd =
        inotify_add_watch(inotify_fd_, dir.c_str(), kEvents | IN_ONLYDIR);
    if (wd < 0) {
      if (missing_.insert(dir).second) {
        spdlog::debug("cannot watch '{}' ({}): waiting for it to appear", dir,
                      strerror(errno));
      }
      continue;
    }
    spdlog::debug("watching '{}'", dir);
    Watch& watch = watches_[dir];
    if (watch.wd >= 0 && watch.wd != wd) {
      inotify_rm_watch(inotify_fd_, watch.wd);  // Another directory now.
    }
    watch.wd = wd;
    watch.full = true;
    watch.names = names;
    if (missing_.erase(dir) != 0) {
      spdlog::info("'{}' appeared; rescanning", dir);
      returned = true;
    }
  }
  UpdateParentWatches(wanted);
  return returned;
}

void PluginWatcher::UpdateParentWatches(
    const std::map<std::string, std::set<std::string>>& wanted) {
  std::set<std::string> parents;
  for (const std::string& dir : missing_) parents.insert(Parent(dir));
  for (auto it = watches_.begin(); it != watches_.end();) {
    Watch& watch = it->second;
    const bool full = wanted.count(it->first) != 0;
    if (!full && parents.count(it->first) == 0) {
      inotify_rm_watch(inotify_fd_, watch.wd);
      it = watches_.erase(it);
      continue;
    }
    if (watch.full && !full) {  // Keep only what the parent role needs.
      const int wd = inotify_add_watch(inotify_fd_, it->first.c_str(),
                                       kParentEvents | IN_ONLYDIR);
      if (wd != watch.wd) inotify_rm_watch(inotify_fd_, watch.wd);
      if (wd < 0) {
        it = watches_.erase(it);  // Gone: the periodic refresh retries.
        continue;
      }
      watch.wd = wd;
      watch.full = false;
      watch.names.clear();
    }
    ++it;
  }
  for (const std::string& parent : parents) {
    if (watches_.count(parent) != 0) continue;
    const int wd = inotify_add_watch(inotify_fd_, parent.c_str(),
                                     kParentEvents | IN_ONLYDIR);
    if (wd < 0) continue;  // Gone too: the periodic refresh retries.
    watches_[parent] = Watch{wd, /*full=*/false, {}};
  }
}

void PluginWatcher::Forget(int wd) {
  for (auto it = watches_.begin(); it != watches_.end();) {
    if (it->second.wd != wd) {
      ++it;
      continue;
    }
    if (it->second.full) missing_.insert(it->first);
    it = watches_.erase(it);
  }
}

bool PluginWatcher::HandleFileEvent(const struct inotify_event& event) {
  for (auto it = file_watches_.begin(); it != file_watches_.end(); ++it) {
    if (it->second != event.wd) continue;
    if ((event.mask & (IN_IGNORED | IN_ATTRIB | IN_DELETE_SELF |
                       IN_MOVE_SELF)) != 0) {
      // Maybe replaced: watch whatever the name holds now (UpdateWatches,
      // right after this batch of events).
      if ((event.mask & IN_IGNORED) == 0) inotify_rm_watch(inotify_fd_, it->second);
      missing_files_.insert(it->first);
      file_watches_.erase(it);
    }
    return true;
  }
  return false;
}

bool PluginWatcher::HandleEvent(const struct inotify_event& event) {
  if (event.wd < 0) return true;  // Queue overflow: anything may have changed.
  if (HandleFileEvent(event)) return true;
  const Watch* watch = nullptr;
  std::string dir;
  for (const auto& [path, w] : watches_) {
    if (w.wd == event.wd) {
      watch = &w;
      dir = path;
      break;
    }
  }
  if (watch == nullptr) return false;  // A watch already forgotten.
  const bool full = watch->full;
  if ((event.mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
    // Deleted, or renamed away (the watch would follow it to its new
    // name): wait for the name to come back.
    if ((event.mask & IN_IGNORED) == 0) inotify_rm_watch(inotify_fd_, event.wd);
    Forget(event.wd);
    return full;
  }
  if (event.len == 0) return false;  // The directory's own metadata.
  if (full && (watch->names.empty() || watch->names.count(event.name) != 0)) {
    return true;
  }
  // In the parent of a missing directory: only that name matters.
  return missing_.count(dir + "/" + event.name) != 0;
}

void PluginWatcher::Run() {
  using Clock = std::chrono::steady_clock;
  bool pending = false;  // Events seen since the last rescan request.
  Clock::time_point first_event;
  Clock::time_point last_event;
  alignas(struct inotify_event) char buffer[16 * 1024];
  const auto note_change = [&] {
    last_event = Clock::now();
    if (!pending) first_event = last_event;
    pending = true;
  };
  for (;;) {
    int timeout_ms = 1000;  // Also how often watches are refreshed.
    if (pending) {
      const auto due = std::min(last_event + quiet_, first_event + max_delay_);
      timeout_ms = static_cast<int>(std::max<int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(
                 due - Clock::now())
                 .count()));
    }
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    const int ready = poll(fds, 2, timeout_ms);
    if (ready < 0 && errno != EINTR) {
      spdlog::error("plugin watcher stopped: poll: {}", strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
      for (;;) {
        const ssize_t n = read(inotify_fd_, buffer, sizeof buffer);
        if (n <= 0) break;
        bool changed = false;
        for (ssize_t at = 0; at < n;) {
          const auto* event =
              reinterpret_cast<const struct inotify_event*>(buffer + at);
          at += sizeof(struct inotify_event) + event->len;
          if (HandleEvent(*event)) changed = true;
        }
        if (changed) note_change();
      }
    }
    // Also every second without events: a directory may be back where no
    // parent watch could see it.
    if (UpdateWatches()) note_change();
    if (pending) {
      const auto now = Clock::now();
      if (now >= last_event + quiet_ || now >= first_event + max_delay_) {
        pending = false;
        rescan_();
      }
    }
  }
}

}  // namespace classifyd
