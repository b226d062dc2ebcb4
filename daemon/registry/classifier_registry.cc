#include "registry/classifier_registry.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "isolation/child_process.h"
#include "isolation/isolated_process.h"
#include "plugin/trusted_path.h"

namespace classifyd {
namespace fs = std::filesystem;

struct ClassifierRegistry::Entry {
  std::string name;
  std::string manifest_path;
  ClassifierState state = ClassifierState::kLoading;
  std::string error;
  std::shared_ptr<const Classifier> serving;

  // What the serving classifier was built from.
  Manifest manifest;
  std::vector<FileStamp> stamps;  // manifest, library, model, calibration
  // What the last attempt was made from, so a broken load is not retried
  // until one of its files changes.
  std::vector<FileStamp> tried_stamps;
  // Files the last attempt referred to (library, model, calibration), for
  // watching.
  std::vector<std::string> tried_files;
};

const Classifier* ClassifierSnapshot::Find(std::string_view name) const {
  auto it = std::lower_bound(
      classifiers.begin(), classifiers.end(), name,
      [](const std::shared_ptr<const Classifier>& c, std::string_view n) {
        return c->name() < n;
      });
  return it != classifiers.end() && (*it)->name() == name ? it->get()
                                                          : nullptr;
}

FileStamp StampFile(const std::string& path) {
  FileStamp stamp;
  struct stat st;
  if (path.empty() || stat(path.c_str(), &st) != 0) return stamp;
  stamp.device = st.st_dev;
  stamp.inode = st.st_ino;
  stamp.size = st.st_size;
  stamp.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 +
                   st.st_mtim.tv_nsec;
  stamp.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1'000'000'000 +
                   st.st_ctim.tv_nsec;
  return stamp;
}

const char* ClassifierStateName(ClassifierState state) {
  switch (state) {
    case ClassifierState::kLoading: return "LOADING";
    case ClassifierState::kReady: return "READY";
    case ClassifierState::kFailed: return "FAILED";
    case ClassifierState::kUnloading: return "UNLOADING";
  }
  return "UNKNOWN";
}

ClassifierRegistry::ClassifierRegistry(Options options, Retirer* retirer)
    : options_(std::move(options)),
      retirer_(retirer),
      snapshot_(std::make_shared<const ClassifierSnapshot>()) {}

ClassifierRegistry::~ClassifierRegistry() = default;

std::shared_ptr<const ClassifierSnapshot> ClassifierRegistry::Snapshot()
    const {
  std::lock_guard lock(snapshot_mu_);
  return snapshot_;
}

bool ClassifierRegistry::HasReady() const {
  return !Snapshot()->classifiers.empty();
}

bool ClassifierRegistry::HasAnswering() const {
  // Held for the loop: a range-for over a temporary's member keeps only the
  // member, and a reload may drop the last other reference meanwhile.
  const std::shared_ptr<const ClassifierSnapshot> snapshot = Snapshot();
  for (const auto& c : snapshot->classifiers) {
    if (c->call_health().stuck_calls.load() == 0) return true;
  }
  return false;
}

std::shared_ptr<const Classifier> ClassifierRegistry::Adopt(
    std::unique_ptr<Classifier> c) {
  // The deleter runs wherever the last reference drops (often a request
  // thread); it only queues the destruction.
  Retirer* retirer = retirer_;
  return std::shared_ptr<const Classifier>(
      c.release(), [retirer](const Classifier* dying) {
        retirer->Retire([dying] {
          spdlog::info("classifier {}: generation {} unloaded", dying->name(),
                       dying->generation());
          delete dying;
        });
      });
}

std::variant<std::unique_ptr<Classifier>, std::string>
ClassifierRegistry::LoadFromPlugin(const Manifest& manifest,
                                   uint64_t generation) {
  if (options_.strict_modes) {
    const std::string dir = fs::path(manifest.library_path).parent_path();
    for (const auto& [path, what] :
         {std::pair{manifest.library_path, "plugin library"},
          std::pair{dir, "plugin library directory"}}) {
      std::string problem = CheckTrustedPath(path, what);
      if (!problem.empty()) return problem;
    }
  }
  if (manifest.isolation == Isolation::kProcess) {
    return LoadIsolated(manifest, generation);
  }
  auto library =
      PluginLibrary::Open(manifest.library_path, options_.private_lib_dir);
  if (auto* error = std::get_if<std::string>(&library)) return *error;
  return Classifier::Create(
      manifest, std::get<std::shared_ptr<PluginLibrary>>(std::move(library)),
      generation);
}

std::variant<std::unique_ptr<Classifier>, std::string>
ClassifierRegistry::LoadIsolated(const Manifest& manifest,
                                 uint64_t generation) {
  auto library =
      OpenLibraryForChild(manifest.library_path, options_.private_lib_dir);
  if (auto* error = std::get_if<std::string>(&library)) return *error;
  isolation::IsolationSettings settings;
  settings.host_path = options_.plugin_host_path.empty()
                           ? isolation::DefaultHostPath()
                           : options_.plugin_host_path;
  settings.call_timeout = std::chrono::milliseconds(
      manifest.timeout_ms >= 0 ? manifest.timeout_ms
                               : options_.default_timeout_ms);
  return Classifier::CreateIsolated(manifest, std::get<int>(library), settings,
                                    generation);
}

std::string ClassifierRegistry::CheckDataFile(const Manifest& manifest,
                                              const std::string& path,
                                              const std::string& what) const {
  if (StampFile(path).size < 0) {
    return what + " '" + path + "' named by '" + manifest.manifest_path +
           "' does not exist";
  }
  return CheckTrustedDataFile(path, what, manifest.max_model_bytes,
                              options_.strict_modes);
}

std::variant<std::shared_ptr<const Calibration>, std::string>
ClassifierRegistry::LoadCalibration(const Manifest& manifest) const {
  if (manifest.calibration_path.empty()) {
    return std::shared_ptr<const Calibration>();
  }
  std::string problem = CheckDataFile(manifest, manifest.calibration_path,
                                      "calibration file");
  if (!problem.empty()) return problem;
  auto loaded = Calibration::Load(manifest.calibration_path);
  if (auto* error = std::get_if<std::string>(&loaded)) return *error;
  return std::make_shared<const Calibration>(
      std::get<Calibration>(std::move(loaded)));
}

std::variant<std::shared_ptr<const Classifier>, std::string>
ClassifierRegistry::Load(const Manifest& manifest) {
  // Before the plugin: a bad model or calibration file costs no library
  // load, and the plugin never opens a FIFO or a device (it would block
  // this thread, the reload coordinator's, or read without end).
  if (!manifest.model_path.empty()) {
    std::string problem =
        CheckDataFile(manifest, manifest.model_path, "model file");
    if (!problem.empty()) return problem;
  }
  auto calibration = LoadCalibration(manifest);
  if (auto* error = std::get_if<std::string>(&calibration)) return *error;
  auto created = options_.loader
                     ? options_.loader(manifest, next_generation_)
                     : LoadFromPlugin(manifest, next_generation_);
  if (auto* error = std::get_if<std::string>(&created)) return *error;
  auto& fresh = std::get<std::unique_ptr<Classifier>>(created);
  fresh->set_calibration(
      std::get<std::shared_ptr<const Calibration>>(std::move(calibration)));
  std::shared_ptr<const Classifier> candidate = Adopt(std::move(fresh));
  // Warm up: one real classification before the classifier takes traffic,
  // so a plugin that loads but cannot classify never goes live, and the
  // first request does not pay for lazy initialisation. Under the
  // classifier's time limit, so a plugin that hangs is refused instead of
  // holding up every later reload.
  static constexpr std::string_view kWarmUp[] = {
      "classifyd 预热自检: 中央气象台发布台风预警, A股收盘上涨"};
  std::vector<DocumentOutcome> outcome;
  const int timeout_ms = manifest.timeout_ms >= 0 ? manifest.timeout_ms
                                                  : options_.default_timeout_ms;
  if (options_.invoker != nullptr) {
    PluginBatch batch;
    batch.Add(kWarmUp[0]);
    batch.top_k = 5;
    CallResult warm_up = options_.invoker->Call(
        candidate, std::chrono::milliseconds(timeout_ms), std::move(batch));
    // The stuck call holds `candidate` (destroyed by the Retirer when the
    // call returns) and its generation, which is not handed out again.
    if (warm_up.end == CallEnd::kTimedOut) ++next_generation_;
    outcome = std::move(warm_up.outcomes);
  } else {
    candidate->ClassifyBatch(kWarmUp, 5, 0.0f, &outcome);
  }
  if (outcome.size() != 1 || outcome[0].code != CLASSIFYD_OK) {
    return "warm-up classification failed: " +
           (outcome.empty() ? std::string("no result") : outcome[0].message);
  }
  ++next_generation_;
  return candidate;
}

void ClassifierRegistry::SetState(Entry* entry, ClassifierState state,
                                  const std::string& error) {
  std::lock_guard lock(entries_mu_);
  entry->state = state;
  entry->error = error;
}

void ClassifierRegistry::Publish() {
  auto next = std::make_shared<ClassifierSnapshot>();
  {
    std::lock_guard lock(entries_mu_);
    for (const auto& [name, entry] : entries_) {
      if (entry->serving != nullptr) {
        next->classifiers.push_back(entry->serving);
      }
    }
  }
  std::shared_ptr<const ClassifierSnapshot> previous;
  {
    std::lock_guard lock(snapshot_mu_);
    previous = std::exchange(snapshot_, std::move(next));
  }
  // `previous` is released here, outside the lock; if it was the last
  // reference, its classifiers are queued to the Retirer.
}

bool ClassifierRegistry::Retire(const Entry& entry) {
  if (entry.serving == nullptr) return false;
  ClassifierStatus status;
  status.name = entry.name;
  status.manifest_path = entry.manifest_path;
  status.state = ClassifierState::kUnloading;
  retiring_.push_back(std::move(status));
  retiring_refs_.push_back(entry.serving);
  return true;
}

ClassifierRegistry::ReconcileResult ClassifierRegistry::Reconcile(
    const std::string& force) {
  std::lock_guard reconcile_lock(reconcile_mu_);
  return ReconcileLocked(force);
}

ClassifierRegistry::ReconcileResult ClassifierRegistry::Load(
    const std::string& name) {
  std::lock_guard reconcile_lock(reconcile_mu_);
  disabled_.erase(name);
  return ReconcileLocked(name);
}

ClassifierRegistry::ReconcileResult ClassifierRegistry::Unload(
    const std::string& name) {
  std::lock_guard reconcile_lock(reconcile_mu_);
  ReconcileResult result;
  {
    std::lock_guard lock(entries_mu_);
    if (entries_.count(name) == 0) {
      result.not_found = true;
      return result;
    }
  }
  disabled_[name] = StampFile(fs::path(options_.plugin_dir) /
                              (name + std::string(kManifestSuffix)));
  spdlog::info("classifier {}: unloading on request", name);
  return ReconcileLocked("");
}

ClassifierRegistry::ReconcileResult ClassifierRegistry::ReconcileLocked(
    const std::string& force) {
  ReconcileResult result;

  if (options_.strict_modes) {
    std::string problem =
        CheckTrustedPath(options_.plugin_dir, "plugin directory");
    if (!problem.empty()) {
      spdlog::error("{}; nothing loaded or changed", problem);
      result.not_found = !force.empty();
      return result;
    }
  }

  // Manifests present now, by classifier name.
  std::map<std::string, std::string> present;
  std::error_code ec;
  for (fs::directory_iterator it(options_.plugin_dir, ec), end;
       !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string file = p.filename().string();
    if (file.empty() || file[0] == '.' || p.extension() != kManifestSuffix) {
      continue;  // Hidden, editor temporaries and other files.
    }
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    const std::string name = p.stem().string();
    const std::string path = fs::absolute(p).lexically_normal();
    if (auto d = disabled_.find(name); d != disabled_.end()) {
      if (StampFile(path) == d->second) continue;  // Still unloaded.
      disabled_.erase(d);  // The manifest changed: load it again.
    }
    present.emplace(name, path);
  }
  if (ec) {
    spdlog::error("cannot read plugin directory '{}': {}",
                  options_.plugin_dir, ec.message());
    return result;  // Keep serving what we have.
  }
  if (!force.empty() && present.count(force) == 0) result.not_found = true;

  bool changed = false;
  for (const auto& [name, manifest_path] : present) {
    Entry* entry = nullptr;
    {
      std::lock_guard lock(entries_mu_);
      auto& slot = entries_[name];
      if (slot == nullptr) {
        slot = std::make_unique<Entry>();
        slot->name = name;
        slot->manifest_path = manifest_path;
      }
      entry = slot.get();  // Stable: only this thread erases entries.
    }
    const bool forced = name == force;

    std::vector<FileStamp> stamps{StampFile(manifest_path)};
    std::string problem;
    if (options_.strict_modes) {
      problem = CheckTrustedPath(manifest_path, "manifest");
    }
    auto parsed = problem.empty()
                      ? LoadManifest(manifest_path, options_.plugin_lib_dir)
                      : std::variant<Manifest, std::string>(problem);
    if (auto* m = std::get_if<Manifest>(&parsed)) {
      stamps.push_back(StampFile(m->library_path));
      stamps.push_back(StampFile(m->model_path));
      stamps.push_back(StampFile(m->calibration_path));
      entry->tried_files = {m->library_path, m->model_path,
                            m->calibration_path};
      if (!forced && entry->serving != nullptr && stamps == entry->stamps &&
          *m == entry->manifest) {
        // Back to what is serving (e.g. a broken edit was reverted).
        if (entry->state == ClassifierState::kFailed) {
          SetState(entry, ClassifierState::kReady, "");
        }
        entry->tried_stamps = stamps;
        ++result.unchanged;
        continue;
      }
    }
    if (!forced && stamps == entry->tried_stamps) {
      ++result.unchanged;  // Same files as the last attempt.
      continue;
    }
    entry->tried_stamps = stamps;

    if (auto* error = std::get_if<std::string>(&parsed)) {
      spdlog::error("classifier {}: {}", name, *error);
      SetState(entry, ClassifierState::kFailed, *error);
      ++result.failed;
      continue;
    }
    const Manifest& manifest = std::get<Manifest>(parsed);
    if (entry->serving == nullptr) {
      SetState(entry, ClassifierState::kLoading, "");
    }
    spdlog::info("classifier {}: loading plugin '{}'{}", name,
                 manifest.library_path,
                 manifest.model_path.empty()
                     ? std::string()
                     : " with model '" + manifest.model_path + "'");
    auto loaded = Load(manifest);
    if (auto* error = std::get_if<std::string>(&loaded)) {
      spdlog::error("classifier {}: load failed{}: {}", name,
                    entry->serving != nullptr
                        ? " (generation " +
                              std::to_string(entry->serving->generation()) +
                              " keeps serving)"
                        : "",
                    *error);
      SetState(entry, ClassifierState::kFailed, *error);
      ++result.failed;
      continue;
    }
    auto classifier = std::get<std::shared_ptr<const Classifier>>(loaded);
    spdlog::info(
        "classifier {}: ready, generation {}, plugin {} {} (ABI {}), {} "
        "labels",
        name, classifier->generation(), classifier->library().name(),
        classifier->library().version(), classifier->library().abi_version(),
        classifier->labels().size());
    {
      std::lock_guard lock(entries_mu_);
      // A replaced version that has a stuck call stays listed (UNLOADING,
      // with its stuck_calls) until that call returns: it holds a thread
      // and its library. Others finish their requests unlisted.
      if (entry->serving != nullptr &&
          entry->serving->call_health().stuck_calls.load() > 0) {
        Retire(*entry);
      }
      entry->serving = std::move(classifier);
      entry->manifest = manifest;
      entry->stamps = stamps;
      entry->state = ClassifierState::kReady;
      entry->error.clear();
    }
    changed = true;
    ++result.loaded;
  }

  // Entries whose manifest is gone (or that were unloaded) stop taking
  // requests now and are destroyed once their last request finishes.
  {
    std::lock_guard lock(entries_mu_);
    for (size_t i = retiring_refs_.size(); i-- > 0;) {
      if (retiring_refs_[i].expired()) {
        retiring_refs_.erase(retiring_refs_.begin() + i);
        retiring_.erase(retiring_.begin() + i);
      }
    }
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (present.count(it->first) != 0) {
        ++it;
        continue;
      }
      spdlog::info("classifier {}: removed, unloading after its last request",
                   it->first);
      changed |= Retire(*it->second);
      ++result.removed;
      it = entries_.erase(it);
    }
  }
  if (changed) Publish();
  return result;
}

std::vector<ClassifierStatus> ClassifierRegistry::List() const {
  std::vector<ClassifierStatus> list;
  std::lock_guard lock(entries_mu_);
  for (const auto& [name, entry] : entries_) {
    list.push_back(
        {entry->name, entry->manifest_path, entry->state, entry->error,
         entry->serving});
  }
  for (size_t i = 0; i < retiring_.size(); ++i) {
    if (auto alive = retiring_refs_[i].lock()) {
      ClassifierStatus status = retiring_[i];
      status.serving = std::move(alive);
      list.push_back(std::move(status));
    }
  }
  std::stable_sort(list.begin(), list.end(),
                   [](const ClassifierStatus& a, const ClassifierStatus& b) {
                     return a.name < b.name;
                   });
  return list;
}

std::string ClassifierRegistry::PluginDirectory() const {
  return fs::absolute(options_.plugin_dir).lexically_normal().string();
}

std::set<std::string> ClassifierRegistry::WatchedFiles() const {
  std::set<std::string> files;
  std::lock_guard lock(entries_mu_);
  for (const auto& [name, entry] : entries_) {
    for (const std::string& file : entry->tried_files) {
      if (!file.empty()) files.insert(file);
    }
    if (entry->serving != nullptr) {
      for (const std::string* file : {&entry->manifest.library_path,
                                      &entry->manifest.model_path,
                                      &entry->manifest.calibration_path}) {
        if (!file->empty()) files.insert(*file);
      }
    }
  }
  return files;
}

std::set<std::string> ClassifierRegistry::WatchedDirectories() const {
  std::set<std::string> dirs{PluginDirectory()};
  for (const std::string& file : WatchedFiles()) {
    dirs.insert(fs::path(file).parent_path().string());
  }
  return dirs;
}

}  // namespace classifyd
