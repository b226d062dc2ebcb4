#include "registry/classifier_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace classifyd {

const Classifier* ClassifierSnapshot::Find(std::string_view name) const {
  auto it = std::lower_bound(
      classifiers.begin(), classifiers.end(), name,
      [](const std::shared_ptr<const Classifier>& c, std::string_view n) {
        return c->name() < n;
      });
  return it != classifiers.end() && (*it)->name() == name ? it->get()
                                                          : nullptr;
}

ClassifierManager::ClassifierManager(ClassifierLoader* loader)
    : loader_(loader), snapshot_(std::make_shared<const ClassifierSnapshot>()) {}

ClassifierManager::~ClassifierManager() = default;

ReconcileResult ClassifierManager::Apply(
    const absl::StatusOr<std::vector<ManifestVersion>>& versions,
    const std::string& force) {
  MutexLock lock(&apply_mu_);
  ReconcileResult result;
  if (!versions.ok()) {
    spdlog::error("{}; nothing loaded or changed",
                  std::string(versions.status().message()));
    result.not_found =
        !force.empty() && absl::IsFailedPrecondition(versions.status());
    return result;
  }
  bool changed = false;
  bool found = force.empty();
  for (const ManifestVersion& version : *versions) {
    found |= version.name == force;
    changed |= Step(version, version.name == force, &result);
  }
  result.not_found = !found;
  changed |= RemoveAbsent(*versions, &result);
  if (changed) Publish();
  return result;
}

bool ClassifierManager::Track(const ManifestVersion& version) {
  MutexLock lock(&entries_mu_);
  auto [it, added] = entries_.try_emplace(version.name);
  Entry& entry = it->second;
  if (added) {
    entry.name = version.name;
    entry.manifest_path = version.manifest_path;
  }
  if (version.manifest.ok()) entry.tried_files = version.files;
  return entry.serving != nullptr;
}

bool ClassifierManager::Step(const ManifestVersion& version, bool forced,
                             ReconcileResult* result) {
  const bool serving = Track(version);
  Versions& tracked = versions_[version.name];
  if (!forced && serving && version.manifest.ok() &&
      version.stamps == tracked.stamps && *version.manifest == tracked.manifest) {
    // Back to what is serving (e.g. a broken edit was reverted).
    {
      MutexLock lock(&entries_mu_);
      Entry& entry = entries_.at(version.name);
      if (entry.state == ClassifierState::kFailed) {
        SetState(&entry, ClassifierState::kReady, "");
      }
    }
    tracked.tried_stamps = version.stamps;
    ++result->unchanged;
    return false;
  }
  if (!forced && version.stamps == tracked.tried_stamps) {
    ++result->unchanged;  // Same files as the last attempt.
    return false;
  }
  tracked.tried_stamps = version.stamps;
  if (!version.manifest.ok()) {
    const std::string error(version.manifest.status().message());
    spdlog::error("classifier {}: {}", version.name, error);
    Fail(version.name, error, result);
    return false;
  }
  return LoadVersion(version, &tracked, result);
}

bool ClassifierManager::LoadVersion(const ManifestVersion& version,
                                    Versions* tracked,
                                    ReconcileResult* result) {
  const Manifest& manifest = *version.manifest;
  std::string keeps_serving;
  {
    MutexLock lock(&entries_mu_);
    Entry& entry = entries_.at(version.name);
    if (entry.serving != nullptr) {
      keeps_serving = " (generation " +
                      std::to_string(entry.serving->generation()) +
                      " keeps serving)";
    } else if (entry.state != ClassifierState::kLoading) {
      SetState(&entry, ClassifierState::kLoading, "");
    }
  }
  spdlog::info("classifier {}: loading plugin '{}'{}", version.name,
               manifest.library_path,
               manifest.model_path.empty()
                   ? std::string()
                   : " with model '" + manifest.model_path + "'");
  absl::StatusOr<std::shared_ptr<const Classifier>> loaded =
      loader_->Load(manifest);
  if (!loaded.ok()) {
    const std::string error(loaded.status().message());
    spdlog::error("classifier {}: load failed{}: {}", version.name,
                  keeps_serving, error);
    Fail(version.name, error, result);
    return false;
  }
  const Classifier& c = **loaded;
  spdlog::info(
      "classifier {}: ready, generation {}, plugin {} {} (ABI {}), {} labels",
      version.name, c.generation(), c.library().name(), c.library().version(),
      c.library().abi_version(), c.labels().size());
  {
    MutexLock lock(&entries_mu_);
    Entry& entry = entries_.at(version.name);
    // A replaced version that has a stuck call stays listed (UNLOADING,
    // with its stuck_calls) until that call returns: it holds a thread
    // and its library. Others finish their requests unlisted.
    if (entry.serving != nullptr &&
        entry.serving->call_health().stuck_calls.load() > 0) {
      Retire(entry);
    }
    entry.serving = *std::move(loaded);
    SetState(&entry, ClassifierState::kReady, "");
  }
  tracked->manifest = manifest;
  tracked->stamps = version.stamps;
  ++result->loaded;
  return true;
}

void ClassifierManager::Fail(const std::string& name, const std::string& error,
                             ReconcileResult* result) {
  MutexLock lock(&entries_mu_);
  SetState(&entries_.at(name), ClassifierState::kFailed, error);
  ++result->failed;
}

bool ClassifierManager::RemoveAbsent(
    const std::vector<ManifestVersion>& versions, ReconcileResult* result) {
  std::set<std::string> present;
  for (const ManifestVersion& version : versions) present.insert(version.name);
  bool changed = false;
  MutexLock lock(&entries_mu_);
  std::erase_if(retiring_,
                [](const Retiring& r) { return r.classifier.expired(); });
  // Entries whose manifest is gone (or that were unloaded) stop taking
  // requests now and are destroyed once their last request finishes.
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (present.count(it->first) != 0) {
      ++it;
      continue;
    }
    spdlog::info("classifier {}: removed, unloading after its last request",
                 it->first);
    if (it->second.serving != nullptr) {
      Retire(it->second);
      changed = true;
    }
    versions_.erase(it->first);
    ++result->removed;
    it = entries_.erase(it);
  }
  return changed;
}

void ClassifierManager::SetState(Entry* entry, ClassifierState state,
                                 const std::string& error) {
  if (absl::Status allowed = CheckTransition(entry->state, state);
      !allowed.ok()) {
    spdlog::error("classifier {}: {}; left as it was", entry->name,
                  std::string(allowed.message()));
    return;
  }
  entry->state = state;
  entry->error = error;
}

void ClassifierManager::Retire(const Entry& entry) {
  Retiring retiring{entry, entry.serving};
  retiring.entry.serving = nullptr;
  SetState(&retiring.entry, ClassifierState::kUnloading, "");
  retiring_.push_back(std::move(retiring));
}

void ClassifierManager::Publish() {
  auto next = std::make_shared<ClassifierSnapshot>();
  {
    MutexLock lock(&entries_mu_);
    for (const auto& [name, entry] : entries_) {
      if (entry.serving != nullptr) next->classifiers.push_back(entry.serving);
    }
  }
  std::shared_ptr<const ClassifierSnapshot> previous;
  {
    MutexLock lock(&snapshot_mu_);
    previous = std::exchange(snapshot_, std::move(next));
  }
  // `previous` is released here, outside the lock; if it was the last
  // reference, its classifiers are queued to the control thread.
}

bool ClassifierManager::Has(const std::string& name) const {
  MutexLock lock(&entries_mu_);
  return entries_.count(name) != 0;
}

std::shared_ptr<const ClassifierSnapshot> ClassifierManager::Snapshot() const {
  MutexLock lock(&snapshot_mu_);
  return snapshot_;
}

bool ClassifierManager::HasReady() const {
  return !Snapshot()->classifiers.empty();
}

bool ClassifierManager::HasAnswering() const {
  // Held for the loop: a range-for over a temporary's member keeps only the
  // member, and a reload may drop the last other reference meanwhile.
  const std::shared_ptr<const ClassifierSnapshot> snapshot = Snapshot();
  for (const auto& c : snapshot->classifiers) {
    if (c->call_health().stuck_calls.load() == 0) return true;
  }
  return false;
}

std::vector<ClassifierStatus> ClassifierManager::List() const {
  std::vector<ClassifierStatus> list;
  MutexLock lock(&entries_mu_);
  for (const auto& [name, e] : entries_) {
    list.push_back({e.name, e.manifest_path, e.state, e.error, e.serving});
  }
  for (const Retiring& r : retiring_) {
    if (auto alive = r.classifier.lock()) {
      const Entry& e = r.entry;
      list.push_back({e.name, e.manifest_path, e.state, e.error, alive});
    }
  }
  std::stable_sort(list.begin(), list.end(),
                   [](const ClassifierStatus& a, const ClassifierStatus& b) {
                     return a.name < b.name;
                   });
  return list;
}

std::set<std::string> ClassifierManager::WatchedFiles() const {
  std::set<std::string> files;
  MutexLock lock(&entries_mu_);
  for (const auto& [name, entry] : entries_) {
    for (const std::string& file : entry.tried_files) {
      if (!file.empty()) files.insert(file);
    }
    if (entry.serving != nullptr) {
      const Manifest& m = entry.serving->manifest();
      for (const std::string* file : {&m.library_path, &m.model_path,
                                      &m.calibration_path, &m.warmup_path}) {
        if (!file->empty()) files.insert(*file);
      }
    }
  }
  return files;
}

}  // namespace classifyd
