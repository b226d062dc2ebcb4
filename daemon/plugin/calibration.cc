#include "plugin/calibration.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

namespace classifyd {
namespace {

// A line for `label@1` applies to the classifier's top label only.
constexpr std::string_view kTopSuffix = "@1";

// One number of a knot: a decimal in [0, 1], nothing else.
bool ParseUnit(std::string_view text, double* value) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  return ec == std::errc() && ptr == end && std::isfinite(*value) &&
         *value >= 0.0 && *value <= 1.0;
}

std::string_view StripLineEnd(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

// The knots of one label's line, after the tab; INVALID_ARGUMENT saying
// what is wrong.
template <typename Knot>
absl::Status ParseKnots(std::string_view text, std::vector<Knot>* knots) {
  size_t index = 0;
  while (true) {
    const size_t start = text.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    text.remove_prefix(start);
    const std::string_view token = text.substr(0, text.find_first_of(" \t"));
    text.remove_prefix(token.size());
    ++index;
    const std::string where =
        "knot " + std::to_string(index) + " '" + std::string(token) + "'";
    const size_t colon = token.find(':');
    Knot knot{};
    if (colon == std::string_view::npos ||
        !ParseUnit(token.substr(0, colon), &knot.raw) ||
        !ParseUnit(token.substr(colon + 1), &knot.calibrated)) {
      return absl::InvalidArgumentError(
          where + " is not raw:calibrated with both numbers in [0, 1]");
    }
    if (!knots->empty() && knot.raw <= knots->back().raw) {
      return absl::InvalidArgumentError(
          where + ": raw values must be strictly ascending");
    }
    if (!knots->empty() && knot.calibrated < knots->back().calibrated) {
      return absl::InvalidArgumentError(
          where + ": calibrated values must not decrease");
    }
    knots->push_back(knot);
  }
  if (knots->empty()) {
    return absl::InvalidArgumentError("no knots after the label");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Calibration> Calibration::Parse(std::string_view text,
                                               const std::string& path) {
  Calibration calibration;
  std::map<std::string, size_t, std::less<>> first_line;  // label -> line
  size_t number = 0;
  while (!text.empty() || number == 0) {
    const size_t newline = text.find('\n');
    const std::string_view line = StripLineEnd(text.substr(0, newline));
    text.remove_prefix(newline == std::string_view::npos ? text.size()
                                                         : newline + 1);
    const std::string where =
        "calibration '" + path + "' line " + std::to_string(++number) + ": ";
    if (number == 1) {
      if (line != kHeader) {
        return absl::InvalidArgumentError(where + "expected the header '" +
                                          std::string(kHeader) + "'");
      }
      continue;
    }
    if (IsBlank(line) || line.front() == '#') continue;
    const size_t tab = line.find('\t');
    const std::string_view label = line.substr(0, tab);
    if (tab == std::string_view::npos || label.empty() ||
        label.find(' ') != std::string_view::npos) {
      return absl::InvalidArgumentError(
          where + "expected label<TAB>raw:calibrated raw:calibrated ...");
    }
    if (auto seen = first_line.find(label); seen != first_line.end()) {
      return absl::InvalidArgumentError(where + "label '" + std::string(label) +
                                        "' already has a line (line " +
                                        std::to_string(seen->second) + ")");
    }
    first_line.emplace(std::string(label), number);
    Curve curve;
    absl::Status knots = ParseKnots(line.substr(tab + 1), &curve);
    if (!knots.ok()) {
      return absl::InvalidArgumentError(where + "label '" + std::string(label) +
                                        "': " + std::string(knots.message()));
    }
    std::string_view name = label;
    const bool top =
        name.size() > kTopSuffix.size() && name.ends_with(kTopSuffix);
    if (top) name.remove_suffix(kTopSuffix.size());
    if (name == "*") {
      (top ? calibration.top_fallback_ : calibration.fallback_) =
          std::move(curve);
    } else {
      (top ? calibration.top_curves_ : calibration.curves_)
          .emplace(std::string(name), std::move(curve));
    }
  }
  return calibration;
}

absl::StatusOr<Calibration> Calibration::Load(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    return absl::NotFoundError("cannot read calibration '" + path +
                               "': " + ec.message());
  }
  if (size > kMaxFileBytes) {
    return absl::InvalidArgumentError("calibration '" + path + "' is over " +
                                      std::to_string(kMaxFileBytes >> 20) +
                                      " MiB");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in || in.bad()) {
    return absl::NotFoundError("cannot read calibration '" + path + "'");
  }
  return Parse(text.str(), path);
}

double Calibration::Evaluate(const Curve& curve, double raw) {
  const auto above = std::upper_bound(
      curve.begin(), curve.end(), raw,
      [](double r, const Knot& knot) { return r < knot.raw; });
  if (above == curve.begin()) return curve.front().calibrated;
  if (above == curve.end()) return curve.back().calibrated;
  const Knot& low = *(above - 1);
  const Knot& high = *above;
  const double t = (raw - low.raw) / (high.raw - low.raw);
  return low.calibrated + t * (high.calibrated - low.calibrated);
}

const Calibration::Curve* Calibration::Find(std::string_view label,
                                            bool top) const {
  if (top) {
    if (auto it = top_curves_.find(label); it != top_curves_.end()) {
      return &it->second;
    }
  }
  if (auto it = curves_.find(label); it != curves_.end()) return &it->second;
  if (top && !top_fallback_.empty()) return &top_fallback_;
  return fallback_.empty() ? nullptr : &fallback_;
}

float Calibration::Apply(std::string_view label, float raw, bool top) const {
  const Curve* curve = Find(label, top);
  if (curve == nullptr) return raw;
  return static_cast<float>(std::clamp(Evaluate(*curve, raw), 0.0, 1.0));
}

}  // namespace classifyd
