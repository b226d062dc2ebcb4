#include "registry/plugin_watcher.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace classifyd {
namespace {

constexpr uint32_t kEvents = IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB |
                             IN_CREATE | IN_DELETE | IN_MOVED_FROM |
                             IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF;

}  // namespace

std::unique_ptr<PluginWatcher> PluginWatcher::Start(
    const ClassifierRegistry* registry, ReloadCoordinator* coordinator,
    std::chrono::milliseconds quiet, std::chrono::milliseconds max_delay) {
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
  return std::unique_ptr<PluginWatcher>(new PluginWatcher(
      registry, coordinator, inotify_fd, stop_fd, quiet, max_delay));
}

PluginWatcher::PluginWatcher(const ClassifierRegistry* registry,
                             ReloadCoordinator* coordinator, int inotify_fd,
                             int stop_fd, std::chrono::milliseconds quiet,
                             std::chrono::milliseconds max_delay)
    : registry_(registry),
      coordinator_(coordinator),
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

void PluginWatcher::UpdateWatches() {
  const std::set<std::string> wanted = registry_->WatchedDirectories();
  for (auto it = watches_.begin(); it != watches_.end();) {
    if (wanted.count(it->first) == 0) {
      inotify_rm_watch(inotify_fd_, it->second);
      it = watches_.erase(it);
    } else {
      ++it;
    }
  }
  for (const std::string& dir : wanted) {
    if (watches_.count(dir) != 0) continue;
    const int wd = inotify_add_watch(inotify_fd_, dir.c_str(),
                                     kEvents | IN_ONLYDIR);
    if (wd < 0) {
      spdlog::debug("cannot watch '{}': {}", dir, strerror(errno));
      continue;  // Retried on the next update (it may not exist yet).
    }
    spdlog::debug("watching '{}'", dir);
    watches_[dir] = wd;
  }
}

void PluginWatcher::Run() {
  using Clock = std::chrono::steady_clock;
  bool pending = false;  // Events seen since the last rescan request.
  Clock::time_point first_event;
  Clock::time_point last_event;
  alignas(struct inotify_event) char buffer[16 * 1024];
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
        for (ssize_t at = 0; at < n;) {
          const auto* event =
              reinterpret_cast<const struct inotify_event*>(buffer + at);
          at += sizeof(struct inotify_event) + event->len;
          if ((event->mask & IN_IGNORED) != 0) {
            for (auto it = watches_.begin(); it != watches_.end(); ++it) {
              if (it->second == event->wd) {
                watches_.erase(it);  // Directory gone; re-added if it returns.
                break;
              }
            }
          }
        }
        last_event = Clock::now();
        if (!pending) first_event = last_event;
        pending = true;
      }
    }
    if (pending) {
      const auto now = Clock::now();
      if (now >= last_event + quiet_ || now >= first_event + max_delay_) {
        pending = false;
        coordinator_->RequestRescan("files changed");
      }
    }
    UpdateWatches();
  }
}

}  // namespace classifyd
