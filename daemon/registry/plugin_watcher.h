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
// A watched directory that is deleted or renamed away (or did not exist
// yet) is waited for: its parent is watched for the name, and when a
// directory appears there again it is watched anew and a rescan is asked
// for, so a plugin directory deleted and recreated with other manifests is
// picked up without a SIGHUP. (Where the parent is gone too, the periodic
// refresh finds the directory within a second.)
//
// Thread-safe; runs its own thread until destroyed.
#ifndef CLASSIFYD_DAEMON_REGISTRY_PLUGIN_WATCHER_H_
#define CLASSIFYD_DAEMON_REGISTRY_PLUGIN_WATCHER_H_

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "registry/classifier_registry.h"
#include "registry/reload_coordinator.h"

struct inotify_event;

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
  // One inotify watch. `full`: the directory is watched for changes of
  // its own; else only for the name of a missing directory in it (a full
  // watch serves for that too).
  struct Watch {
    int wd = -1;
    bool full = false;
  };

  void Run();
  // Brings the watches in line with the registry's directories; true if a
  // directory that was missing is back.
  bool UpdateWatches();
  // What an event means: true if it calls for a rescan.
  bool HandleEvent(const struct inotify_event& event);
  // Forgets every watch with descriptor `wd`; a directory watched for its
  // own changes is then missing until it comes back.
  void Forget(int wd);

  const ClassifierRegistry* const registry_;
  ReloadCoordinator* const coordinator_;
  const int inotify_fd_;
  const int stop_fd_;  // eventfd; written by the destructor.
  const std::chrono::milliseconds quiet_;
  const std::chrono::milliseconds max_delay_;
  std::map<std::string, Watch> watches_;  // By directory.
  // Wanted directories that are gone, or were never there: watched for
  // in their parents; their return asks for a rescan.
  std::set<std::string> missing_;
  std::thread thread_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_REGISTRY_PLUGIN_WATCHER_H_
