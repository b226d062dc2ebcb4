// Fuzzes the classifier manifest parser (daemon/plugin/manifest.*) with
// arbitrary manifest text: it must return a manifest or an error message,
// never crash, and what it returns must hold the documented invariants.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "plugin/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = classifyd::ParseManifest(
      text, "/etc/classifyd/plugins.d/fuzz.toml", "/usr/lib/classifyd/plugins");
  if (!result.ok()) {
    // An error must say something.
    if (result.status().message().empty()) std::abort();
    return 0;
  }
  const auto& m = result.value();
  if (m.name != "fuzz" || m.plugin.empty() || m.library_path.empty() ||
      m.library_path[0] != '/' || !(m.weight > 0.0 && m.weight <= 10.0) ||
      (!m.model_path.empty() && m.model_path[0] != '/') ||
      (!m.calibration_path.empty() && m.calibration_path[0] != '/')) {
    std::abort();
  }
  for (const std::string& language : m.languages) {
    if (language.size() < 2 || language.size() > 3 ||
        language.find_first_not_of("abcdefghijklmnopqrstuvwxyz") !=
            std::string::npos) {
      std::abort();  // Primary language subtags only.
    }
  }
  return 0;
}
