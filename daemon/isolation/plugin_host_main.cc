// classifyd-plugin-host: the child process of a classifier whose manifest
// says isolation = "process". classifyd starts it (isolation/child_process.h)
// with the socket on fd 3 and the plugin library on fd 4; it is not meant
// to be run by hand.
//
// The exchange: the daemon sends Init; the host sandboxes itself
// (isolation/sandbox.h), loads the plugin, creates the instance and answers
// Ready (or LoadFailed); then it answers each ClassifyRequest with a
// ClassifyReply, one at a time, until the daemon closes the socket, when it
// destroys the instance and exits 0.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "isolation/child_process.h"
#include "isolation/frame_io.h"
#include "isolation/plugin_host.h"
#include "isolation/sandbox.h"

namespace classifyd::isolation {
namespace {

constexpr int kSocketFd = 3;
constexpr int kLibraryFd = 4;

// Loads and creates; sends Ready or LoadFailed. False if it cannot serve.
bool Start(PluginHost* host, const Init& init) {
  ChildMessage answer;
  absl::Status loaded = host->LoadLibrary(kLibraryFd, init);
  std::vector<std::string> readable(init.readable_dirs().begin(),
                                    init.readable_dirs().end());
  absl::Status files_restricted;
  if (loaded.ok()) {
    files_restricted = RestrictFiles(readable);
    loaded = host->CreateInstance(init, answer.mutable_ready());
  }
  if (!loaded.ok()) {
    answer.mutable_load_failed()->set_message(std::string(loaded.message()));
    host->Send(answer);
    return false;
  }
  Ready* ready = answer.mutable_ready();
  for (const absl::Status& notice : {files_restricted, RestrictSystemCalls()}) {
    if (!notice.ok()) ready->add_sandbox_notices(std::string(notice.message()));
  }
  return host->Send(answer);
}

int Serve(pid_t parent) {
  if (absl::Status s = EnterProcessLimits(parent); !s.ok()) {
    fprintf(stderr, "classifyd-plugin-host: %s\n",
            std::string(s.message()).c_str());
    return 1;
  }
  HostMessage message;
  if (!ReadFrame(kSocketFd, kMaxHostFrameBytes, &message, std::nullopt).ok() ||
      !message.has_init()) {
    return 1;
  }
  PluginHost host(kSocketFd);
  if (!Start(&host, message.init())) return 0;
  for (;;) {
    message.Clear();
    if (!ReadFrame(kSocketFd, kMaxHostFrameBytes, &message, std::nullopt)
             .ok()) {
      return 0;  // The daemon closed the socket: retire.
    }
    if (!message.has_classify()) return 1;
    ChildMessage answer;
    host.Classify(message.classify(), answer.mutable_reply());
    if (!host.Send(answer)) return 0;
  }
}

}  // namespace
}  // namespace classifyd::isolation

int main(int argc, char** argv) {
  if (argc != 3 || std::string(argv[1]) != classifyd::isolation::kHostFlag) {
    fprintf(stderr,
            "classifyd-plugin-host runs the plugin of a classifier whose "
            "manifest says isolation = \"process\"; classifyd starts it, it "
            "is not run by hand.\n");
    return 2;
  }
  const int code = classifyd::isolation::Serve(atoi(argv[2]));
  // Exit without running the plugin's static destructors: the instance is
  // already destroyed, and a library's statics may outlive their users.
  fflush(stderr);
  _exit(code);
}
