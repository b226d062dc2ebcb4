// The registry's manager (in TensorFlow Serving's terms): the classifier
// entries and their states, the snapshot requests take, and the
// retirement of what stops serving.
//
// Apply() takes what the source says should serve (ManifestVersion) and
// brings the entries in line: a new or changed version is built by the
// loader beside the serving one and swapped in by publishing a new
// snapshot; a failed load leaves the previous generation serving; an entry
// whose manifest is gone stops taking requests at once and is destroyed
// (on the control thread, see retirer.h) when its last request lets go.
// Every state change goes through one function that checks it against
// classifier_state.h's table.
//
// Thread-safe. Snapshot(), List() and the other readers may be called from
// any thread and never wait for a load. Lock order: apply_mu_, then
// entries_mu_; snapshot_mu_ is taken alone.
#ifndef CLASSIFYD_DAEMON_REGISTRY_CLASSIFIER_MANAGER_H_
#define CLASSIFYD_DAEMON_REGISTRY_CLASSIFIER_MANAGER_H_

#include <absl/base/thread_annotations.h>
#include <absl/status/statusor.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/classifier.h"
#include "plugin/manifest.h"
#include "registry/classifier_loader.h"
#include "registry/classifier_state.h"
#include "registry/file_stamp.h"
#include "registry/manifest_source.h"
#include "sync/mutex.h"

namespace classifyd {

// An immutable view of the ready classifiers, sorted by name.
struct ClassifierSnapshot {
  std::vector<std::shared_ptr<const Classifier>> classifiers;

  // The classifier called `name`, or null.
  const Classifier* Find(std::string_view name) const;
};

// What ListPlugins reports about one entry.
struct ClassifierStatus {
  std::string name;
  std::string manifest_path;
  ClassifierState state = ClassifierState::kLoading;
  std::string error;
  // The serving classifier, if any (null when it never loaded).
  std::shared_ptr<const Classifier> serving;
};

// What one change did.
struct ReconcileResult {
  int loaded = 0;     // New or changed classifiers now serving.
  int failed = 0;     // Loads that failed (old versions keep serving).
  int removed = 0;    // Classifiers that stopped serving.
  int unchanged = 0;  // Entries left as they were.
  bool not_found = false;  // Load/Unload/forced reload: no such name.
};

class ClassifierManager {
 public:
  // `loader` must outlive the manager.
  explicit ClassifierManager(ClassifierLoader* loader);
  ~ClassifierManager();
  ClassifierManager(const ClassifierManager&) = delete;
  ClassifierManager& operator=(const ClassifierManager&) = delete;

  // Brings the entries in line with `versions` (an error: change nothing).
  // Loads new versions, and those whose files changed; `force`, if it
  // names a version, is loaded even if nothing changed. A version whose
  // files are those of the last failed attempt is not retried. Blocks the
  // calling (control) thread while loading.
  ReconcileResult Apply(
      const absl::StatusOr<std::vector<ManifestVersion>>& versions,
      const std::string& force);

  // Whether an entry called `name` exists (whatever its state).
  bool Has(const std::string& name) const;

  // The current ready set. Cheap; hold the result for the whole request.
  std::shared_ptr<const ClassifierSnapshot> Snapshot() const;

  // Every entry, and every retired generation still finishing requests
  // (UNLOADING), sorted by name.
  std::vector<ClassifierStatus> List() const;

  // True once at least one classifier is ready.
  bool HasReady() const;

  // True while a ready classifier can answer: one not skipped for a call
  // that ran past its time limit and has not returned.
  bool HasAnswering() const;

  // Every file the entries were loaded from or last tried (libraries,
  // models, calibrations, warm-up files; absolute).
  std::set<std::string> WatchedFiles() const;

 private:
  // What List() shows of an entry, and the files it watches.
  struct Entry {
    std::string name;
    std::string manifest_path;
    ClassifierState state = ClassifierState::kLoading;
    std::string error;
    std::shared_ptr<const Classifier> serving;
    // Files the last attempt referred to, for watching.
    std::vector<std::string> tried_files;
  };
  // A generation that stopped serving, listed until it is destroyed.
  struct Retiring {
    Entry entry;  // UNLOADING; `serving` is null here.
    std::weak_ptr<const Classifier> classifier;
  };
  // What the serving generation was built from, and what the last attempt
  // was made from; known to the control thread only.
  struct Versions {
    Manifest manifest;
    std::vector<FileStamp> stamps;
    std::vector<FileStamp> tried_stamps;
  };

  // One version of Apply(); true if it changed what serves.
  bool Step(const ManifestVersion& version, bool forced,
            ReconcileResult* result) ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  bool LoadVersion(const ManifestVersion& version, Versions* tracked,
                   ReconcileResult* result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // Drops entries missing from `versions`; true if one was serving.
  bool RemoveAbsent(const std::vector<ManifestVersion>& versions,
                    ReconcileResult* result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // The entry `name`, made (LOADING) if new, with the files `version`
  // refers to; whether a generation of it serves.
  bool Track(const ManifestVersion& version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  void Fail(const std::string& name, const std::string& error,
            ReconcileResult* result) ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // The one place states change: checked against the table; a change it
  // refuses is logged and not made.
  void SetState(Entry* entry, ClassifierState state, const std::string& error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entries_mu_);
  // Lists what `entry` serves as UNLOADING until its last reference is
  // gone.
  void Retire(const Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(entries_mu_);
  void Publish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);

  ClassifierLoader* const loader_;

  Mutex apply_mu_;  // Serialises Apply(); held while loading.
  std::map<std::string, Versions> versions_ ABSL_GUARDED_BY(apply_mu_);

  mutable Mutex entries_mu_ ABSL_ACQUIRED_AFTER(apply_mu_);  // Held briefly.
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(entries_mu_);
  // Removed or replaced generations still finishing requests.
  std::vector<Retiring> retiring_ ABSL_GUARDED_BY(entries_mu_);

  // The published snapshot. A plain mutex around a pointer copy: held for
  // nanoseconds, never during a load. (libstdc++ 12's
  // atomic<shared_ptr> spins on a lock bit that ThreadSanitizer cannot
  // follow, so it would hide real races behind false ones.)
  mutable Mutex snapshot_mu_;
  std::shared_ptr<const ClassifierSnapshot> snapshot_
      ABSL_GUARDED_BY(snapshot_mu_);
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_REGISTRY_CLASSIFIER_MANAGER_H_
