// Fuzzes the daemon's config file parser (daemon/server/options.* with
// daemon/config/toml_text.*): arbitrary bytes as the --config file must give
// options or an exit code with a message, never a crash or an exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

#include "memfd_file.h"
#include "server/options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const classifyd::fuzz::MemfdFile file(data, size);
  const std::vector<std::string> args = {"classifyd", "--config", file.path()};
  auto result = classifyd::ParseOptions(args);
  if (auto* exit = std::get_if<classifyd::ParseExit>(&result)) {
    // --help / --version (as `help = true` in the file) exit 0; errors 2.
    if (exit->message.empty() || (exit->code != 0 && exit->code != 2)) {
      std::abort();
    }
    return 0;
  }
  const auto& options = std::get<classifyd::DaemonOptions>(result);
  // (An empty admin_socket is valid: the socket goes in the daemon's own
  // runtime directory.)
  if (options.reload_debounce_ms < 10 || options.reload_debounce_ms > 10000 ||
      options.limits.max_document_bytes < 1) {
    std::abort();  // A range check did not hold.
  }
  return 0;
}
