// A loaded classifier plugin library: the dlopen handle and the checked
// function table its entry point returned.
//
// Thread-safe after Open() returns: the table is immutable.
#ifndef CLASSIFYD_DAEMON_PLUGIN_PLUGIN_LIBRARY_H_
#define CLASSIFYD_DAEMON_PLUGIN_PLUGIN_LIBRARY_H_

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <classifyd/plugin.h>

#include <memory>
#include <string>

namespace classifyd {

class PluginLibrary {
 public:
  // Loads the library at `path` (RTLD_NOW | RTLD_LOCAL), calls its entry
  // point and checks the table: ABI major equal to the host's, minor not
  // newer, struct large enough, no unknown capability bit, every function
  // present. Returns the library
  // or FAILED_PRECONDITION saying what is wrong. The caller shares ownership;
  // the library is dlclosed when the last owner lets go, which must be after
  // every instance it created is destroyed.
  //
  // dlopen() of a path that is already loaded returns the code already in
  // memory, and overwriting a mapped library crashes the process. So when
  // `private_dir` is not empty, the library is first copied to a fresh file
  // there, loaded from the copy, and the copy is unlinked: every Open() gets
  // the code that is on disk now, and later writes to `path` cannot touch
  // the loaded code. `private_dir` must allow execution (not noexec).
  static absl::StatusOr<std::shared_ptr<PluginLibrary>> Open(
      const std::string& path, const std::string& private_dir = "");

  // A library that is loaded in another process (an isolated classifier's
  // child), known by what that process reported. Has no api(): it must not
  // be called.
  static std::shared_ptr<PluginLibrary> Describe(const std::string& path,
                                                 const std::string& name,
                                                 const std::string& version,
                                                 unsigned abi_major,
                                                 unsigned abi_minor);

  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  // False for a Describe()d library.
  bool has_api() const { return api_ != nullptr; }
  const classifyd_plugin_api& api() const { return *api_; }
  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  // "MAJOR.MINOR" the plugin was built against.
  const std::string& abi_version() const { return abi_version_; }

 private:
  PluginLibrary(std::string path, void* handle,
                const classifyd_plugin_api* api);
  PluginLibrary() = default;

  std::string path_;
  void* handle_ = nullptr;  // Null when described.
  const classifyd_plugin_api* api_ = nullptr;
  std::string name_;
  std::string version_;
  std::string abi_version_;
};

// Opens the library at `path` read-only for a child process to load: a
// private copy made in `private_dir` and unlinked at once (see Open), or
// `path` itself when `private_dir` is empty. Returns the descriptor
// (close-on-exec; the caller owns it) or why it could not.
absl::StatusOr<int> OpenLibraryForChild(const std::string& path,
                                        const std::string& private_dir);

// Checks a plugin's table against this host's ABI. Returns OK if the host
// can use it, else FAILED_PRECONDITION saying why not. Exposed for tests.
absl::Status CheckPluginApi(const classifyd_plugin_api* api,
                            const std::string& path);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_PLUGIN_PLUGIN_LIBRARY_H_
