// Watches the plugin directory and the directories of every file a manifest
// refers to (libraries, models, rules) with inotify, and asks for a rescan
// when something changes there.
//
// Writers are not atomic, so events are debounced: a rescan is requested
// once the watched directories have been quiet for `quiet` (or `max_delay`
// after the first event, for files that keep changing). A half-written file
// that fails to load is retried when it changes again; the registry keeps
// the previous version serving meanwhile. Watching directories rather than
// files also sees files replaced by rename.
//
// Thread-safe; runs its own thread until destroyed.
#ifndef CLASSIFYD_DAEMON_REGISTRY_PLUGIN_WATCHER_H_
#define CLASSIFYD_DAEMON_REGISTRY_PLUGIN_WATCHER_H_

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "registry/classifier_registry.h"
#include "registry/reload_coordinator.h"

namespace classifyd {

class PluginWatcher {
 public:
  // `registry` and `coordinator` must outlive the watcher. Returns null
  // (after logging why) if inotify is unavailable.
  static std::unique_ptr<PluginWatcher> Start(
      const ClassifierRegistry* registry, ReloadCoordinator* coordinator,
      std::chrono::milliseconds quiet, std::chrono::milliseconds max_delay);
  ~PluginWatcher();
  PluginWatcher(const PluginWatcher&) = delete;
  PluginWatcher& operator=(const PluginWatcher&) = delete;

 private:
  PluginWatcher(const ClassifierRegistry* registry,
                ReloadCoordinator* coordinator, int inotify_fd, int stop_fd,
                std::chrono::milliseconds quiet,
                std::chrono::milliseconds max_delay);
  void Run();
  void UpdateWatches();

  const ClassifierRegistry* const registry_;
  ReloadCoordinator* const coordinator_;
  const int inotify_fd_;
  const int stop_fd_;  // eventfd; written by the destructor.
  const std::chrono::milliseconds quiet_;
  const std::chrono::milliseconds max_delay_;
  std::map<std::string, int> watches_;  // directory -> watch descriptor
  std::thread thread_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_REGISTRY_PLUGIN_WATCHER_H_
