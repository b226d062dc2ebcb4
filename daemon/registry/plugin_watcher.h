// Watches the plugin directory, and every file a manifest refers to
// (libraries, models, rules) by its name, with inotify, and asks for a
// rescan when one of them changes. What is watched, and why never a
// system directory, is decided by watch_scope.h; events for other names in
// a watched directory are ignored.
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
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "registry/classifier_registry.h"
#include "registry/reload_coordinator.h"

struct inotify_event;

namespace classifyd {

// What the watcher watches (absolute paths; see watch_scope.h).
struct WatchTargets {
  std::string plugin_dir;
  std::set<std::string> files;      // Libraries, models, calibrations...
  std::set<std::string> manifests;  // The manifests known now.
};

class PluginWatcher {
 public:
  // Asked for the paths to watch: once by Start(), then on the watcher's
  // thread after each batch of events and every second.
  using Targets = std::function<WatchTargets()>;
  // Called on the watcher's thread when a rescan is due.
  using Rescan = std::function<void()>;

  // Returns null (after logging why) if inotify is unavailable.
  static std::unique_ptr<PluginWatcher> Start(
      Targets targets, Rescan rescan, std::chrono::milliseconds quiet,
      std::chrono::milliseconds max_delay);

  // Watches `registry`'s paths and asks `coordinator` for rescans. Both
  // must outlive the watcher.
  static std::unique_ptr<PluginWatcher> Start(
      const ClassifierRegistry* registry, ReloadCoordinator* coordinator,
      std::chrono::milliseconds quiet, std::chrono::milliseconds max_delay);
  ~PluginWatcher();
  PluginWatcher(const PluginWatcher&) = delete;
  PluginWatcher& operator=(const PluginWatcher&) = delete;

 private:
  PluginWatcher(Targets targets, Rescan rescan, int inotify_fd, int stop_fd,
                std::chrono::milliseconds quiet,
                std::chrono::milliseconds max_delay);
  // One inotify watch. `full`: the directory is watched for changes of
  // its own; else only for the name of a missing directory in it (a full
  // watch serves for that too).
  struct Watch {
    int wd = -1;
    bool full = false;
    // With `full`: the names in the directory that matter; empty: all.
    std::set<std::string> names;
  };

  void Run();
  // Brings the watches in line with the registry's paths; true if a
  // directory or file that was missing is back.
  bool UpdateWatches();
  // The directory part of UpdateWatches, for `wanted` directories.
  bool UpdateDirectoryWatches(
      const std::map<std::string, std::set<std::string>>& wanted);
  // Watches the parents of missing directories (for their names only),
  // and drops watches of directories no longer `wanted` nor parents.
  void UpdateParentWatches(
      const std::map<std::string, std::set<std::string>>& wanted);
  // The file part: files in system directories, watched by themselves.
  bool UpdateFileWatches(const std::set<std::string>& wanted);
  // HandleEvent for a watch of a file by itself.
  bool HandleFileEvent(const struct inotify_event& event);
  // What an event means: true if it calls for a rescan.
  bool HandleEvent(const struct inotify_event& event);
  // Forgets every watch with descriptor `wd`; a directory watched for its
  // own changes is then missing until it comes back.
  void Forget(int wd);

  const Targets targets_;
  const Rescan rescan_;
  const int inotify_fd_;
  const int stop_fd_;  // eventfd; written by the destructor.
  const std::chrono::milliseconds quiet_;
  const std::chrono::milliseconds max_delay_;
  std::map<std::string, Watch> watches_;  // By directory.
  std::map<std::string, int> file_watches_;  // By file path.
  std::set<std::string> missing_files_;
  std::string refused_plugin_dir_;  // Said once, when it changes.
  // Wanted directories that are gone, or were never there: watched for
  // in their parents; their return asks for a rescan.
  std::set<std::string> missing_;
  std::thread thread_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_REGISTRY_PLUGIN_WATCHER_H_
