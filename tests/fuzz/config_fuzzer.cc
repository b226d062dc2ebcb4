// Fuzzes the daemon's config file parser (daemon/server/options.* with
// daemon/server/toml_settings.*): arbitrary bytes as the --config file must
// give options, text to print (--help), or INVALID_ARGUMENT with a message,
// never a crash or an exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "memfd_file.h"
#include "server/options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const classifyd::fuzz::MemfdFile file(data, size);
  const std::vector<std::string> args = {"classifyd", "--config", file.path()};
  const auto result = classifyd::ParseOptions(args);
  if (!result.ok()) {
    if (result.status().code() != absl::StatusCode::kInvalidArgument ||
        result.status().message().empty()) {
      std::abort();
    }
    return 0;
  }
  const classifyd::DaemonOptions& options = *result;
  // --help / --version (as `help = true` in the file) print and exit.
  if (!options.print_and_exit.empty()) return 0;
  // (An empty admin_socket is valid: the socket goes in the daemon's own
  // runtime directory.)
  if (options.reload_debounce_ms < 10 || options.reload_debounce_ms > 10000 ||
      options.limits.max_document_bytes < 1) {
    std::abort();  // A range check did not hold.
  }
  return 0;
}
