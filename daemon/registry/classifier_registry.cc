#include "registry/classifier_registry.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <utility>

namespace classifyd {
namespace {

ManifestSource::Options SourceOptions(const ClassifierRegistry::Options& o) {
  return {o.plugin_dir, o.plugin_lib_dir, o.strict_modes};
}

}  // namespace

ClassifierRegistry::ClassifierRegistry(Options options, Retirer* retirer)
    : source_(SourceOptions(options)),
      loader_(std::move(options), retirer),
      manager_(&loader_) {}

ClassifierRegistry::~ClassifierRegistry() = default;

ReconcileResult ClassifierRegistry::ReconcileLocked(const std::string& force) {
  return manager_.Apply(source_.Scan(), force);
}

ReconcileResult ClassifierRegistry::Reconcile(const std::string& force) {
  MutexLock lock(&changes_mu_);
  return ReconcileLocked(force);
}

ReconcileResult ClassifierRegistry::Load(const std::string& name) {
  MutexLock lock(&changes_mu_);
  source_.Enable(name);
  return ReconcileLocked(name);
}

ReconcileResult ClassifierRegistry::Unload(const std::string& name) {
  MutexLock lock(&changes_mu_);
  if (!manager_.Has(name)) {
    ReconcileResult result;
    result.not_found = true;
    return result;
  }
  source_.Disable(name);
  spdlog::info("classifier {}: unloading on request", name);
  return ReconcileLocked("");
}

std::set<std::string> ClassifierRegistry::WatchedDirectories() const {
  std::set<std::string> dirs{PluginDirectory()};
  for (const std::string& file : WatchedFiles()) {
    dirs.insert(std::filesystem::path(file).parent_path().string());
  }
  return dirs;
}

}  // namespace classifyd
