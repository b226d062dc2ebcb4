#include "isotonic.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace classifyd::train {
namespace {

// A run of pooled observations: raw scores [first, last], mean outcome.
struct Block {
  double first = 0;
  double last = 0;
  double sum = 0;
  double count = 0;
  double mean() const { return sum / count; }
};

// Pool adjacent violators over observations sorted by raw score; equal raw
// scores are pooled first (they must map to one value).
std::vector<Block> PoolAdjacentViolators(const std::vector<double>& raw,
                                         const std::vector<double>& outcomes) {
  std::vector<size_t> order(raw.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return raw[a] < raw[b]; });
  std::vector<Block> blocks;
  for (size_t i : order) {
    const double x = std::clamp(raw[i], 0.0, 1.0);
    if (!blocks.empty() && blocks.back().last == x) {
      blocks.back().sum += outcomes[i];
      blocks.back().count += 1;
    } else {
      blocks.push_back({x, x, outcomes[i], 1});
    }
    while (blocks.size() > 1 &&
           blocks[blocks.size() - 2].mean() >= blocks.back().mean()) {
      Block top = blocks.back();
      blocks.pop_back();
      blocks.back().last = top.last;
      blocks.back().sum += top.sum;
      blocks.back().count += top.count;
    }
  }
  return blocks;
}

}  // namespace

std::vector<CalibrationKnot> FitIsotonic(const std::vector<double>& raw,
                                         const std::vector<double>& outcomes) {
  std::vector<CalibrationKnot> centres;
  for (const Block& b : PoolAdjacentViolators(raw, outcomes)) {
    centres.push_back(
        {(b.first + b.last) / 2, std::min(b.mean(), kMaxProbability)});
  }
  if (centres.size() > kMaxKnots) {
    std::vector<CalibrationKnot> picked;
    for (size_t k = 0; k < kMaxKnots; ++k) {
      const size_t i = static_cast<size_t>(std::lround(
          static_cast<double>(k) * (centres.size() - 1) / (kMaxKnots - 1)));
      picked.push_back(centres[i]);
    }
    centres = std::move(picked);
  }
  // Ends: a little below the first centre and above the last, so scores
  // beyond them keep their order too.
  std::vector<CalibrationKnot> knots;
  if (centres.front().raw > 0)
    knots.push_back({0, centres.front().calibrated / 2});
  knots.insert(knots.end(), centres.begin(), centres.end());
  if (knots.back().raw < 1) {
    const double last = knots.back().calibrated;
    knots.push_back({1, last + (1 - last) * 0.05});
  }
  return knots;
}

std::string CalibrationLine(const std::string& label,
                            const std::vector<CalibrationKnot>& knots) {
  std::string line = label + "\t";
  char buffer[64];
  for (size_t i = 0; i < knots.size(); ++i) {
    std::snprintf(buffer, sizeof buffer, "%s%.9g:%.6g", i ? " " : "",
                  knots[i].raw, knots[i].calibrated);
    line += buffer;
  }
  return line;
}

}  // namespace classifyd::train
