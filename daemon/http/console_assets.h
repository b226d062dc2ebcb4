// The web console's files (daemon/http/console/), compiled into the daemon
// so it serves them with no file on disk and no network: the generated
// console_assets.cc holds them (cmake/EmbedFiles.cmake).
#ifndef CLASSIFYD_DAEMON_HTTP_CONSOLE_ASSETS_H_
#define CLASSIFYD_DAEMON_HTTP_CONSOLE_ASSETS_H_

#include <string_view>

namespace classifyd {

struct ConsoleAsset {
  std::string_view url;  // "/", "/console.js", ...
  std::string_view content_type;
  std::string_view body;
};

// The asset served at `url`, or null.
const ConsoleAsset* FindConsoleAsset(std::string_view url);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_HTTP_CONSOLE_ASSETS_H_
