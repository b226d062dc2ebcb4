#include "plugin/plugin_library.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <cstddef>
#include <exception>
#include <utility>

namespace classifyd {
namespace {

// The smallest table a 1.x plugin may return: everything up to and
// including classify_batch existed in 1.0.
constexpr size_t kMinimumApiSize =
    offsetof(classifyd_plugin_api, classify_batch) +
    sizeof(classifyd_plugin_api::classify_batch);

absl::Status Refused(const std::string& message) {
  return absl::FailedPreconditionError(message);
}

// Copies `path` to a new file in `dir`; returns its path or an error.
absl::StatusOr<std::string> CopyToPrivateFile(const std::string& path,
                                              const std::string& dir) {
  const int in = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    return Refused("cannot read plugin library '" + path +
                   "': " + strerror(errno));
  }
  std::string copy = dir + "/plugin-XXXXXX.so";
  const int out = mkostemps(copy.data(), 3, O_CLOEXEC);
  if (out < 0) {
    const int err = errno;
    close(in);
    return Refused("cannot create a private copy of '" + path + "' in '" + dir +
                   "': " + strerror(err));
  }
  char buffer[1 << 16];
  bool ok = true;
  for (;;) {
    const ssize_t n = read(in, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      ok = false;
      break;
    }
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = write(out, buffer + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        ok = false;
        break;
      }
      done += w;
    }
    if (!ok) break;
  }
  const int err = errno;
  close(in);
  if (close(out) != 0) ok = false;
  if (!ok) {
    unlink(copy.c_str());
    return Refused("cannot copy plugin library '" + path + "' to '" + dir +
                   "': " + strerror(err));
  }
  return copy;
}

}  // namespace

absl::Status CheckPluginApi(const classifyd_plugin_api* api,
                            const std::string& path) {
  if (api == nullptr) {
    return Refused("plugin '" + path +
                   "' refused to load: its entry point returned " +
                   "no function table for host ABI " +
                   std::to_string(CLASSIFYD_ABI_MAJOR) + "." +
                   std::to_string(CLASSIFYD_ABI_MINOR));
  }
  if (api->abi_major != CLASSIFYD_ABI_MAJOR) {
    return Refused(
        "plugin '" + path + "' was built for plugin ABI " +
        std::to_string(api->abi_major) + "." + std::to_string(api->abi_minor) +
        " but this classifyd speaks ABI " +
        std::to_string(CLASSIFYD_ABI_MAJOR) + "." +
        std::to_string(CLASSIFYD_ABI_MINOR) +
        " (the major version must match); rebuild the plugin against "
        "this version's classifyd/plugin.h");
  }
  if (api->abi_minor > CLASSIFYD_ABI_MINOR) {
    return Refused(
        "plugin '" + path + "' needs plugin ABI " +
        std::to_string(api->abi_major) + "." + std::to_string(api->abi_minor) +
        " but this classifyd provides " + std::to_string(CLASSIFYD_ABI_MAJOR) +
        "." + std::to_string(CLASSIFYD_ABI_MINOR) + "; upgrade classifyd");
  }
  if (api->struct_size < kMinimumApiSize) {
    return Refused("plugin '" + path + "' returned a function table of " +
                   std::to_string(api->struct_size) +
                   " bytes, smaller than ABI " +
                   std::to_string(CLASSIFYD_ABI_MAJOR) + ".0 requires (" +
                   std::to_string(kMinimumApiSize) + ")");
  }
  if (api->name == nullptr || api->name[0] == '\0' ||
      api->version == nullptr) {
    return Refused("plugin '" + path +
                   "' does not declare its name and version");
  }
  if ((api->capabilities & ~static_cast<uint64_t>(CLASSIFYD_CAP_ALL)) != 0) {
    return Refused("plugin '" + path +
                   "' declares capability bits this classifyd does not "
                   "know (capabilities " +
                   std::to_string(api->capabilities) + ")");
  }
  if (api->create == nullptr || api->destroy == nullptr ||
      api->list_labels == nullptr || api->classify_batch == nullptr) {
    return Refused("plugin '" + path + "' leaves a required function empty");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<PluginLibrary>> PluginLibrary::Open(
    const std::string& path, const std::string& private_dir) {
  std::string load_path = path;
  if (!private_dir.empty()) {
    absl::StatusOr<std::string> copy = CopyToPrivateFile(path, private_dir);
    if (!copy.ok()) return copy.status();
    load_path = *std::move(copy);
  }
  dlerror();
  void* handle = dlopen(load_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (load_path != path) unlink(load_path.c_str());
  if (handle == nullptr) {
    const char* why = dlerror();
    return Refused("cannot load plugin library '" + path +
                   "': " + (why != nullptr ? why : "unknown dlopen error"));
  }
  void* symbol = dlsym(handle, CLASSIFYD_PLUGIN_ENTRY_SYMBOL);
  if (symbol == nullptr) {
    dlclose(handle);
    return Refused("'" + path +
                   "' is not a classifyd plugin: it does not export '" +
                   CLASSIFYD_PLUGIN_ENTRY_SYMBOL + "'");
  }
  auto entry = reinterpret_cast<classifyd_plugin_entry_fn>(symbol);
  const classifyd_plugin_api* api = nullptr;
  // The ABI forbids exceptions, but a C++ plugin that lets one escape must
  // not take the daemon down with it. The exception object may live in
  // plugin code, so it is gone before the library is closed.
  std::string thrown;
  try {
    api = entry(CLASSIFYD_ABI_MAJOR, CLASSIFYD_ABI_MINOR);
  } catch (const std::exception& e) {
    thrown = std::string("exception: ") + e.what();
  } catch (...) {
    thrown = "unknown exception";
  }
  if (!thrown.empty()) {
    dlclose(handle);
    return Refused("plugin '" + path + "' threw from its entry point (" +
                   thrown + ")");
  }
  if (absl::Status usable = CheckPluginApi(api, path); !usable.ok()) {
    dlclose(handle);
    return usable;
  }
  return std::shared_ptr<PluginLibrary>(new PluginLibrary(path, handle, api));
}

PluginLibrary::PluginLibrary(std::string path, void* handle,
                             const classifyd_plugin_api* api)
    : path_(std::move(path)),
      handle_(handle),
      api_(api),
      name_(api->name),
      version_(api->version),
      abi_version_(std::to_string(api->abi_major) + "." +
                   std::to_string(api->abi_minor)) {}

std::shared_ptr<PluginLibrary> PluginLibrary::Describe(
    const std::string& path, const std::string& name,
    const std::string& version, unsigned abi_major, unsigned abi_minor) {
  std::shared_ptr<PluginLibrary> library(new PluginLibrary());
  library->path_ = path;
  library->name_ = name;
  library->version_ = version;
  library->abi_version_ =
      std::to_string(abi_major) + "." + std::to_string(abi_minor);
  return library;
}

PluginLibrary::~PluginLibrary() {
  if (handle_ != nullptr) dlclose(handle_);
}

absl::StatusOr<int> OpenLibraryForChild(const std::string& path,
                                        const std::string& private_dir) {
  std::string open_path = path;
  if (!private_dir.empty()) {
    absl::StatusOr<std::string> copy = CopyToPrivateFile(path, private_dir);
    if (!copy.ok()) return copy.status();
    open_path = *std::move(copy);
  }
  const int fd = open(open_path.c_str(), O_RDONLY | O_CLOEXEC);
  const int err = errno;
  if (open_path != path) unlink(open_path.c_str());
  if (fd < 0) {
    return Refused("cannot read plugin library '" + path +
                   "': " + strerror(err));
  }
  return fd;
}

}  // namespace classifyd
