// Fuzzes the calibration file parser (daemon/plugin/calibration.*) with
// arbitrary text: it must return a calibration or an error naming the file
// and a line, never crash, and an accepted calibration must map every score
// in [0, 1] into [0, 1], monotonically for every label.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "plugin/calibration.h"

namespace {

// A label to probe: the first line's label if there is one, else any.
std::string FirstLabel(std::string_view text) {
  const size_t line = text.find('\n');
  if (line == std::string_view::npos) return "label";
  text.remove_prefix(line + 1);
  return std::string(text.substr(0, text.find('\t')));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = classifyd::Calibration::Parse(text, "/fuzz/cal.tsv");
  if (!result.ok()) {
    if (result.status().message().find("calibration '/fuzz/cal.tsv' line ") !=
        0) {
      std::abort();
    }
    return 0;
  }
  const auto& calibration = result.value();
  for (const std::string& label : {FirstLabel(text), std::string("other")}) {
    float previous = -1.0f;
    for (int i = 0; i <= 100; ++i) {
      const float score = calibration.Apply(label, i / 100.0f);
      if (!(score >= 0.0f && score <= 1.0f) || score < previous) std::abort();
      previous = score;
    }
  }
  return 0;
}
