// The set of classifiers the daemon serves, and how it changes: the
// plugin directory's manifests (ManifestSource) loaded as classifiers
// (ClassifierLoader) whose states and snapshots the ClassifierManager
// keeps. What each part does is in its header; this class wires them and
// serialises the changes.
//
// Requests never see entries: they take a ClassifierSnapshot, an immutable
// list of ready classifiers, and hold it (by shared_ptr) until their
// response is complete. An old classifier is destroyed when the last
// snapshot naming it is released, on the control thread (the Retirer's),
// where classifiers are also created; never on a request thread.
//
// Thread-safe. Snapshot() and List() may be called from any thread and
// never wait for a load; the changing calls (Reconcile, Load, Unload) are
// serialised with each other.
#ifndef CLASSIFYD_DAEMON_REGISTRY_CLASSIFIER_REGISTRY_H_
#define CLASSIFYD_DAEMON_REGISTRY_CLASSIFIER_REGISTRY_H_

#include <absl/base/thread_annotations.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "invoker/invoker.h"
#include "plugin/classifier.h"
#include "plugin/manifest.h"
#include "registry/classifier_loader.h"
#include "registry/classifier_manager.h"
#include "registry/classifier_state.h"
#include "registry/file_stamp.h"
#include "registry/manifest_source.h"
#include "registry/retirer.h"
#include "sync/mutex.h"

namespace classifyd {

class ClassifierRegistry {
 public:
  using ReconcileResult = ::classifyd::ReconcileResult;

  // The loader's options (library copies, strict modes, time limits,
  // invoker, factory), and where the manifests are. `strict_modes` also
  // applies to the plugin directory and manifests.
  struct Options : ClassifierLoader::Options {
    std::string plugin_dir;      // Where manifests (*.toml) live.
    std::string plugin_lib_dir;  // Where bare plugin names resolve.
  };

  // `retirer` is the control thread: it creates and destroys every
  // classifier, and must outlive the registry and every snapshot it hands
  // out.
  ClassifierRegistry(Options options, Retirer* retirer);
  ~ClassifierRegistry();
  ClassifierRegistry(const ClassifierRegistry&) = delete;
  ClassifierRegistry& operator=(const ClassifierRegistry&) = delete;

  // Brings the served set in line with the plugin directory: loads new
  // manifests, reloads those whose manifest, library, model, calibration
  // or warm-up file changed (and `force`, if it names a classifier, even
  // when nothing changed), and retires those whose manifest is gone. A
  // failed load leaves the previous version serving. Blocks the calling
  // (control) thread while loading; never blocks Snapshot().
  ReconcileResult Reconcile(const std::string& force = "");

  // Loads `name` even if it was unloaded with Unload().
  ReconcileResult Load(const std::string& name);

  // Stops serving `name` until Load(name) or its manifest changes.
  ReconcileResult Unload(const std::string& name);

  // The current ready set. Cheap; hold the result for the whole request.
  std::shared_ptr<const ClassifierSnapshot> Snapshot() const {
    return manager_.Snapshot();
  }

  // Every entry, sorted by name.
  std::vector<ClassifierStatus> List() const { return manager_.List(); }

  // True once at least one classifier is ready.
  bool HasReady() const { return manager_.HasReady(); }

  // True while a ready classifier can answer: one that is not skipped
  // because a call to it ran past its time limit and has not returned
  // (CallHealth::stuck_calls). What the daemon's health reports.
  bool HasAnswering() const { return manager_.HasAnswering(); }

  // The plugin directory (absolute): any manifest may appear in it.
  std::string PluginDirectory() const { return source_.PluginDirectory(); }

  // Every file the entries were loaded from or last tried (libraries,
  // models, calibrations, warm-up files; absolute): what a watcher watches
  // by name.
  std::set<std::string> WatchedFiles() const {
    return manager_.WatchedFiles();
  }

  // The plugin directory and the directories of WatchedFiles().
  std::set<std::string> WatchedDirectories() const;

 private:
  ReconcileResult ReconcileLocked(const std::string& force)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(changes_mu_);

  // A scan and the change made from it are one step: a scan applied after
  // a later one would undo it.
  Mutex changes_mu_;
  ManifestSource source_;
  ClassifierLoader loader_;  // Called by manager_ only, within Apply().
  ClassifierManager manager_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_REGISTRY_CLASSIFIER_REGISTRY_H_
