// The child's side of an isolated classifier: loads the plugin library it
// was handed (fd 4), creates the instance, and runs classify_batch() calls,
// recording every sink call so the daemon can check and replay them
// (plugin/classifier.cc). Runs only in classifyd-plugin-host.
//
// Not thread-safe: the host serves one call at a time. Log lines the plugin
// writes (from any thread) go to the daemon as LogLine frames.
#ifndef CLASSIFYD_DAEMON_ISOLATION_PLUGIN_HOST_H_
#define CLASSIFYD_DAEMON_ISOLATION_PLUGIN_HOST_H_

#include <classifyd/plugin.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "wire.pb.h"

namespace classifyd::isolation {

class PluginHost {
 public:
  // `socket` is where log lines go.
  explicit PluginHost(int socket) : socket_(socket) {}
  ~PluginHost();
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Loads the library at `library_fd` (dlopen of /proc/self/fd/N) and checks
  // its table; `init` names it in messages. Returns what is wrong, if so.
  absl::Status LoadLibrary(int library_fd, const Init& init);
  // create() and list_labels(); fills `ready`.
  absl::Status CreateInstance(const Init& init, Ready* ready);
  // One classify_batch() call.
  void Classify(const ClassifyRequest& request, ClassifyReply* reply);
  // Sends `message` to the daemon as one whole frame. Every frame the host
  // sends goes through here: the plugin may log from threads of its own
  // while a reply is being written. False if the daemon is gone.
  bool Send(const ChildMessage& message) const;

 private:
  static void Log(void* context, classifyd_log_level level, const char* message,
                  size_t size);

  int socket_;
  void* handle_ = nullptr;
  const classifyd_plugin_api* api_ = nullptr;
  classifyd_host_api host_api_{};
  classifyd_instance* instance_ = nullptr;
};

}  // namespace classifyd::isolation

#endif  // CLASSIFYD_DAEMON_ISOLATION_PLUGIN_HOST_H_
