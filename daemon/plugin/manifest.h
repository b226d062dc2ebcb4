// Classifier manifests: one TOML file per classifier instance in the
// plugin directory. The classifier's name is the file's stem.
//
//   plugin = "fasttext"          # bare name: <plugin-lib-dir>/fasttext.so;
//                                # a path (with '/'): relative to this file
//   model = "news/model.ftz"     # optional; relative to this file
//   calibration = "news/calibration.tsv"  # optional raw -> calibrated score
//                                # maps (plugin/calibration.h); relative
//   weight = 1.0                 # optional score multiplier, in (0, 10]
//   timeout_ms = 2000            # optional per-call limit; 0: none;
//                                # default: the daemon's --plugin-timeout-ms
//   max_model_bytes = 2147483648 # optional; largest model or calibration
//                                # file accepted (default 2 GiB)
//   languages = ["zh", "en"]     # optional primary language subtags it
//                                # covers; absent: every language
//   warmup = "text"              # optional warm-up document (see below);
//   warmup_file = "warmup.txt"   # or a file holding it, relative
//   isolation = "process"        # optional: run the plugin in a sandboxed
//                                # child process (see
//                                # isolation/isolated_process.h);
//                                # default "in-process"
//   [options]                    # optional; passed to the plugin as text
//   top_k = 5
#ifndef CLASSIFYD_DAEMON_PLUGIN_MANIFEST_H_
#define CLASSIFYD_DAEMON_PLUGIN_MANIFEST_H_

#include <absl/status/statusor.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace classifyd {

// File name suffix of manifests in the plugin directory.
inline constexpr std::string_view kManifestSuffix = ".toml";

// Where a classifier's plugin runs.
enum class Isolation {
  kInProcess,  // In the daemon (fastest; a crash takes the daemon down).
  kProcess,    // In its own sandboxed child process.
};

// Largest model file a manifest accepts unless it sets `max_model_bytes`.
inline constexpr int64_t kDefaultMaxModelBytes = int64_t{2} << 30;

struct Manifest {
  std::string name;           // Classifier name (file stem).
  std::string manifest_path;  // Absolute path of the manifest.
  std::string plugin;         // `plugin` as written.
  std::string library_path;   // Resolved absolute library path.
  std::string model_path;     // Resolved absolute model path, or empty.
  std::string calibration_path;  // Resolved absolute path, or empty.
  double weight = 1.0;
  int timeout_ms = -1;  // -1: not set, the daemon's default applies.
  // Largest model (and calibration) file accepted, in bytes.
  int64_t max_model_bytes = kDefaultMaxModelBytes;
  // Primary language subtags ("zh", "en"), lower case, as listed; empty:
  // the classifier covers every language.
  std::vector<std::string> languages;
  Isolation isolation = Isolation::kInProcess;
  std::vector<std::pair<std::string, std::string>> options;
  // The document classified before the instance takes traffic: the text
  // of `warmup`, or the file `warmup_file` (resolved absolute path); both
  // empty: the registry's neutral default.
  std::string warmup_text;
  std::string warmup_path;

  bool operator==(const Manifest&) const = default;
};

// Parses the text of the manifest at `manifest_path` (used for the name and
// to resolve relative paths). Bare plugin names resolve inside
// `plugin_lib_dir`. Returns the manifest or INVALID_ARGUMENT naming the file
// and what is wrong with it. Files are not opened.
absl::StatusOr<Manifest> ParseManifest(std::string_view text,
                                       const std::string& manifest_path,
                                       const std::string& plugin_lib_dir);

// Reads and parses the manifest file at `path`; NOT_FOUND if it cannot be
// read.
absl::StatusOr<Manifest> LoadManifest(const std::string& path,
                                      const std::string& plugin_lib_dir);

// True if `name` is usable as a classifier name: 1-64 characters of
// [A-Za-z0-9._-], starting with a letter or digit.
bool IsValidClassifierName(std::string_view name);

// `name`, as a client sent it, for an error message: quoted if it could be
// a classifier's name, else only described ("(not a valid classifier
// name: 20480 bytes)"), so a status never carries a client's 20 KB or its
// control characters.
std::string QuotedClassifierName(std::string_view name);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_PLUGIN_MANIFEST_H_
