// Converts registry entries to the API's PluginInfo, for one of two
// audiences: anyone who can reach the public listener, or the admin
// socket's user. Stateless; thread-safe.
#ifndef CLASSIFYD_DAEMON_SERVICE_PLUGIN_INFO_H_
#define CLASSIFYD_DAEMON_SERVICE_PLUGIN_INFO_H_

#include <string_view>

#include "classifyd/v1/classifier.pb.h"
#include "registry/classifier_registry.h"

namespace classifyd {

// Who reads a PluginInfo.
enum class Visibility {
  // Any client of the public API (gRPC or HTTP): names, versions, labels,
  // languages, states and counters. No file paths, and a failed load's
  // reason replaced by kPublicLoadError: reasons name files and can quote
  // their contents (a rules line, a key of a file only the daemon reads).
  kPublic,
  // The admin socket: everything, full load errors and paths included.
  kAdmin,
};

// What a public listing says instead of a failed load's reason.
inline constexpr std::string_view kPublicLoadError =
    "the classifier failed to load; the reason is in the daemon's log and "
    "on its admin socket (classifyctl plugins --admin)";

void FillPluginInfo(const ClassifierStatus& status, Visibility visibility,
                    v1::PluginInfo* info);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_PLUGIN_INFO_H_
