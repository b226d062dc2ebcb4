#include "registry/manifest_source.h"

#include <absl/strings/str_cat.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "plugin/trusted_path.h"

namespace classifyd {
namespace fs = std::filesystem;
namespace {

// The manifest at `path`, or why not (plugin/manifest.h's message).
absl::StatusOr<Manifest> ReadManifest(const std::string& path,
                                      const std::string& plugin_lib_dir) {
  return LoadManifest(path, plugin_lib_dir);
}

// Whether `entry` may be a manifest: a visible regular *.toml file.
bool LooksLikeManifest(const fs::directory_entry& entry) {
  const fs::path& p = entry.path();
  const std::string file = p.filename().string();
  if (file.empty() || file[0] == '.' || p.extension() != kManifestSuffix) {
    return false;  // Hidden, editor temporaries and other files.
  }
  std::error_code type_ec;
  return entry.is_regular_file(type_ec);
}

}  // namespace

ManifestSource::ManifestSource(Options options)
    : options_(std::move(options)) {}

std::string ManifestSource::PluginDirectory() const {
  return fs::absolute(options_.plugin_dir).lexically_normal().string();
}

void ManifestSource::Disable(const std::string& name) {
  const FileStamp stamp = StampFile(
      (fs::path(options_.plugin_dir) / (name + std::string(kManifestSuffix)))
          .string());
  MutexLock lock(&mu_);
  disabled_[name] = stamp;
}

void ManifestSource::Enable(const std::string& name) {
  MutexLock lock(&mu_);
  disabled_.erase(name);
}

bool ManifestSource::StillDisabled(const std::string& name,
                                   const std::string& path) {
  MutexLock lock(&mu_);
  auto d = disabled_.find(name);
  if (d == disabled_.end()) return false;
  if (StampFile(path) == d->second) return true;
  disabled_.erase(d);  // The manifest changed: load it again.
  return false;
}

absl::StatusOr<std::vector<ManifestVersion>> ManifestSource::Scan() {
  if (options_.strict_modes) {
    absl::Status trusted =
        CheckTrustedPath(options_.plugin_dir, "plugin directory");
    if (!trusted.ok()) return trusted;
  }
  std::map<std::string, std::string> present;  // Name -> manifest path.
  std::error_code ec;
  for (fs::directory_iterator it(options_.plugin_dir, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (!LooksLikeManifest(*it)) continue;
    const std::string name = it->path().stem().string();
    const std::string path = fs::absolute(it->path()).lexically_normal();
    if (!StillDisabled(name, path)) present.emplace(name, path);
  }
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "cannot read plugin directory '", options_.plugin_dir,
        "': ", ec.message()));
  }
  std::vector<ManifestVersion> versions;
  for (const auto& [name, path] : present) versions.push_back(Read(name, path));
  return versions;
}

ManifestVersion ManifestSource::Read(const std::string& name,
                                     const std::string& path) const {
  ManifestVersion version;
  version.name = name;
  version.manifest_path = path;
  version.stamps.push_back(StampFile(path));
  absl::Status trusted = options_.strict_modes
                             ? CheckTrustedPath(path, "manifest")
                             : absl::OkStatus();
  version.manifest = trusted.ok() ? ReadManifest(path, options_.plugin_lib_dir)
                                  : absl::StatusOr<Manifest>(trusted);
  if (version.manifest.ok()) {
    const Manifest& m = *version.manifest;
    version.files = {m.library_path, m.model_path, m.calibration_path,
                     m.warmup_path};
    for (const std::string& file : version.files) {
      version.stamps.push_back(StampFile(file));
    }
  }
  return version;
}

}  // namespace classifyd
