// What the plugin watcher watches, decided from the registry's paths:
// the plugin directory for any name (a manifest may appear under any
// name), and each file a classifier refers to by its name in its
// directory, so that other files beside a model (a busy log, a download in
// progress) never ask for a rescan. Directories are watched rather than
// files where possible because deployment tools replace files by rename.
//
// A system or shared directory (/, /tmp, /etc, /usr, /var ..., or any
// world-writable sticky directory) is never watched: the kernel would wake
// the daemon for every file anyone changes there. A file in one is watched
// by itself; a plugin directory that is one is not watched at all (its
// existing manifests are, by themselves), and the watcher says so.
//
// Pure functions; thread-safe.
#ifndef CLASSIFYD_DAEMON_REGISTRY_WATCH_SCOPE_H_
#define CLASSIFYD_DAEMON_REGISTRY_WATCH_SCOPE_H_

#include <map>
#include <set>
#include <string>

namespace classifyd {

// True for the directories named above. `dir` is absolute and normal.
bool IsSystemDirectory(const std::string& dir);

struct WatchScope {
  // Directories to watch, with the names in them that matter; an empty
  // set: every name (the plugin directory).
  std::map<std::string, std::set<std::string>> directories;
  // Files in system directories, watched by themselves.
  std::set<std::string> files;
  // The plugin directory, when it is a system directory and so unwatched.
  std::string refused_plugin_dir;
};

// `plugin_dir`, `files` (libraries, models, calibrations) and `manifests`
// are absolute paths.
WatchScope PlanWatches(const std::string& plugin_dir,
                       const std::set<std::string>& files,
                       const std::set<std::string>& manifests);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_REGISTRY_WATCH_SCOPE_H_
