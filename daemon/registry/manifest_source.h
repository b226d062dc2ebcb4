// The registry's source (in TensorFlow Serving's terms): says which
// classifiers should serve, by reading the plugin directory. Each manifest
// found becomes a ManifestVersion: its parsed contents (or why they cannot
// be used) and the stamps of every file it refers to, so that the manager
// can tell a new version from the one serving without loading anything.
//
// Also keeps the set of classifiers unloaded on request: they are left out
// of scans until loaded again or until their manifest changes.
//
// Thread-safe.
#ifndef CLASSIFYD_DAEMON_REGISTRY_MANIFEST_SOURCE_H_
#define CLASSIFYD_DAEMON_REGISTRY_MANIFEST_SOURCE_H_

#include <absl/base/thread_annotations.h>
#include <absl/status/statusor.h>

#include <map>
#include <string>
#include <vector>

#include "plugin/manifest.h"
#include "registry/file_stamp.h"
#include "sync/mutex.h"

namespace classifyd {

// One manifest as read now.
struct ManifestVersion {
  std::string name;           // The classifier's name (the file's stem).
  std::string manifest_path;  // Absolute.
  // The manifest, or why it cannot be used (untrusted, unreadable,
  // invalid).
  absl::StatusOr<Manifest> manifest;
  // The manifest's stamp, then, when it parsed, those of its library,
  // model, calibration and warm-up file: any change is a new version.
  std::vector<FileStamp> stamps;
  // The files it refers to (library, model, calibration, warm-up file;
  // empty strings for those it does not name); none when it did not
  // parse.
  std::vector<std::string> files;
};

class ManifestSource {
 public:
  struct Options {
    std::string plugin_dir;      // Where manifests (*.toml) live.
    std::string plugin_lib_dir;  // Where bare plugin names resolve.
    // Refuse a plugin directory or manifest other users could change
    // (plugin/trusted_path.h).
    bool strict_modes = true;
  };

  explicit ManifestSource(Options options);

  // Every manifest in the plugin directory, sorted by name, except hidden
  // files, files of other suffixes, what is not a regular file, and the
  // disabled. FAILED_PRECONDITION if strict modes refuse the directory,
  // UNAVAILABLE if it cannot be read: then nothing should change.
  absl::StatusOr<std::vector<ManifestVersion>> Scan();

  // Leaves `name` out of Scan() until Enable(name) or until its manifest
  // changes.
  void Disable(const std::string& name);
  void Enable(const std::string& name);

  // The plugin directory, absolute and normal.
  std::string PluginDirectory() const;

 private:
  // True if `name` (manifest at `path`) stays out of this scan; forgets
  // the request once the manifest changed.
  bool StillDisabled(const std::string& name, const std::string& path);
  ManifestVersion Read(const std::string& name, const std::string& path) const;

  const Options options_;
  Mutex mu_;
  // Unloaded by request: name -> manifest stamp at the time.
  std::map<std::string, FileStamp> disabled_ ABSL_GUARDED_BY(mu_);
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_REGISTRY_MANIFEST_SOURCE_H_
