// The set of classifiers the daemon serves, and how it changes.
//
// Each manifest in the plugin directory is an entry with a state (LOADING,
// READY, FAILED, UNLOADING). Requests never see entries: they take a
// ClassifierSnapshot, an immutable list of ready classifiers, and hold it
// (by shared_ptr) until their response is complete. Reconcile() builds new
// classifiers beside the old ones and publishes a new snapshot atomically;
// an old classifier is destroyed when the last snapshot naming it is
// released, on the Retirer's thread, never on a request thread.
//
// Thread-safe. Snapshot() and List() may be called from any thread and never
// wait for a load; the changing calls (Reconcile, Load, Unload) are
// serialised with each other.
#ifndef CLASSIFYD_DAEMON_REGISTRY_CLASSIFIER_REGISTRY_H_
#define CLASSIFYD_DAEMON_REGISTRY_CLASSIFIER_REGISTRY_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "invoker/invoker.h"
#include "plugin/calibration.h"
#include "plugin/classifier.h"
#include "plugin/manifest.h"
#include "registry/retirer.h"

namespace classifyd {

// An immutable view of the ready classifiers, sorted by name.
struct ClassifierSnapshot {
  std::vector<std::shared_ptr<const Classifier>> classifiers;

  // The classifier called `name`, or null.
  const Classifier* Find(std::string_view name) const;
};

enum class ClassifierState { kLoading, kReady, kFailed, kUnloading };

// What ListPlugins reports about one entry.
struct ClassifierStatus {
  std::string name;
  std::string manifest_path;
  ClassifierState state = ClassifierState::kLoading;
  std::string error;
  // The serving classifier, if any (null when it never loaded).
  std::shared_ptr<const Classifier> serving;
};

// Identity of a file's contents as far as stat() can tell.
struct FileStamp {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = -1;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

class ClassifierRegistry {
 public:
  // Builds a classifier from a manifest, or says why it cannot.
  using Loader = std::function<std::variant<std::unique_ptr<Classifier>,
                                            std::string>(const Manifest&,
                                                         uint64_t generation)>;

  struct Options {
    std::string plugin_dir;      // Where manifests (*.toml) live.
    std::string plugin_lib_dir;  // Where bare plugin names resolve.
    // Where private copies of plugin libraries are made before loading
    // (see PluginLibrary::Open). Empty: load libraries in place.
    std::string private_lib_dir;
    // Refuse world-writable or foreign-owned plugin dirs, manifests and
    // libraries (see trusted_path.h).
    bool strict_modes = true;
    // Time limit of warm-up calls for manifests without `timeout_ms`;
    // 0: none.
    int default_timeout_ms = 0;
    // The child process of classifiers with isolation = "process". Empty:
    // classifyd-plugin-host beside the running executable.
    std::string plugin_host_path;
    // Runs the warm-up calls (see invoker/invoker.h); must outlive the
    // registry. Null: they run on the calling thread (tests only: nothing
    // then bounds a warm-up that hangs).
    Invoker* invoker = nullptr;
    // Replaces plugin loading, for tests. Default: PluginLibrary::Open +
    // Classifier::Create.
    Loader loader;
  };

  // `retirer` must outlive the registry and every snapshot it hands out.
  ClassifierRegistry(Options options, Retirer* retirer);
  ~ClassifierRegistry();
  ClassifierRegistry(const ClassifierRegistry&) = delete;
  ClassifierRegistry& operator=(const ClassifierRegistry&) = delete;

  // What one change did.
  struct ReconcileResult {
    int loaded = 0;     // New or changed classifiers now serving.
    int failed = 0;     // Loads that failed (old versions keep serving).
    int removed = 0;    // Classifiers that stopped serving.
    int unchanged = 0;  // Entries left as they were.
    bool not_found = false;  // Load/Unload/forced reload: no such name.
  };

  // Brings the served set in line with the plugin directory: loads new
  // manifests, reloads those whose manifest, library, model or calibration
  // changed (and `force`, if it names a classifier, even when nothing
  // changed), and retires those whose manifest is gone. A failed load
  // leaves the previous version serving. Blocks the calling (control)
  // thread while loading; never blocks Snapshot().
  ReconcileResult Reconcile(const std::string& force = "");

  // Loads `name` even if it was unloaded with Unload().
  ReconcileResult Load(const std::string& name);

  // Stops serving `name` until Load(name) or its manifest changes.
  ReconcileResult Unload(const std::string& name);

  // The current ready set. Cheap; hold the result for the whole request.
  std::shared_ptr<const ClassifierSnapshot> Snapshot() const;

  // Every entry, sorted by name.
  std::vector<ClassifierStatus> List() const;

  // True once at least one classifier is ready.
  bool HasReady() const;

  // True while a ready classifier can answer: one that is not skipped
  // because a call to it ran past its time limit and has not returned
  // (CallHealth::stuck_calls). What the daemon's health reports.
  bool HasAnswering() const;

  // The plugin directory (absolute): any manifest may appear in it.
  std::string PluginDirectory() const;

  // Every file the entries were loaded from or last tried (libraries,
  // models, calibrations; absolute): what a watcher watches by name.
  std::set<std::string> WatchedFiles() const;

  // The plugin directory and the directories of WatchedFiles().
  std::set<std::string> WatchedDirectories() const;

 private:
  struct Entry;

  ReconcileResult ReconcileLocked(const std::string& force);
  // Loads `manifest` as a new classifier; the message on failure.
  std::variant<std::shared_ptr<const Classifier>, std::string> Load(
      const Manifest& manifest);
  std::variant<std::unique_ptr<Classifier>, std::string> LoadFromPlugin(
      const Manifest& manifest, uint64_t generation);
  // LoadFromPlugin of a manifest with isolation = "process".
  std::variant<std::unique_ptr<Classifier>, std::string> LoadIsolated(
      const Manifest& manifest, uint64_t generation);
  // "" if the file `path` (`what`: "model file", ...) named by `manifest`
  // exists and passes plugin/trusted_path.h's checks, or why not.
  std::string CheckDataFile(const Manifest& manifest, const std::string& path,
                            const std::string& what) const;
  // The manifest's calibration (null if it names none), or why it cannot
  // be used.
  std::variant<std::shared_ptr<const Calibration>, std::string>
  LoadCalibration(const Manifest& manifest) const;
  std::shared_ptr<const Classifier> Adopt(std::unique_ptr<Classifier> c);
  void Publish();
  void SetState(Entry* entry, ClassifierState state, const std::string& error);
  // Lists what `entry` serves as UNLOADING until its last reference is
  // gone (entries_mu_ held); true if something was serving.
  bool Retire(const Entry& entry);

  const Options options_;
  Retirer* const retirer_;
  std::mutex reconcile_mu_;  // Serialises changes.
  uint64_t next_generation_ = 1;  // Guarded by reconcile_mu_.
  // Unloaded by request: name -> manifest stamp at the time.
  std::map<std::string, FileStamp> disabled_;  // Guarded by reconcile_mu_.

  mutable std::mutex entries_mu_;  // Guards the below; held briefly.
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  // Removed classifiers still finishing requests, shown as UNLOADING.
  std::vector<ClassifierStatus> retiring_;  // `serving` is null here.
  std::vector<std::weak_ptr<const Classifier>> retiring_refs_;

  // The published snapshot. A plain mutex around a pointer copy: held for
  // nanoseconds, never during a load. (libstdc++ 12's
  // atomic<shared_ptr> spins on a lock bit that ThreadSanitizer cannot
  // follow, so it would hide real races behind false ones.)
  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const ClassifierSnapshot> snapshot_;
};

// Stat()s `path`; a default (size -1) stamp if it does not exist.
FileStamp StampFile(const std::string& path);

const char* ClassifierStateName(ClassifierState state);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_REGISTRY_CLASSIFIER_REGISTRY_H_
