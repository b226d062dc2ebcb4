// Isotonic calibration of one label's raw scores: the knots of a monotone
// piecewise-linear map from raw score to the probability that the label is
// right, in the daemon's calibration file format (docs/plugins.md,
// "Calibration files"). The same method as models/calibrate.py, which fits
// the bundled models with scikit-learn.
//
// Thread-safe (pure functions).
#ifndef CLASSIFYD_MODELS_TOOLS_ISOTONIC_H_
#define CLASSIFYD_MODELS_TOOLS_ISOTONIC_H_

#include <string>
#include <vector>

namespace classifyd::train {

struct CalibrationKnot {
  double raw = 0;
  double calibrated = 0;
};

// At most this many knots per label: the daemon interpolates linearly
// between knots, so a few dozen carry the curve.
inline constexpr size_t kMaxKnots = 24;
// No calibrated score is certainty: a few hundred documents cannot show a
// score is right more often than this.
inline constexpr double kMaxProbability = 0.99;

// Fits `outcomes` (1: the label is right, 0: not) against `raw` scores in
// [0, 1] by isotonic regression (pool adjacent violators) and returns knots
// with raw strictly ascending in [0, 1] and calibrated non-decreasing in
// [0, kMaxProbability]. The knots sit at the centres of the fit's flat
// steps, so raw scores the model ranked keep their order after mapping.
// REQUIRES: raw.size() == outcomes.size() > 0.
std::vector<CalibrationKnot> FitIsotonic(const std::vector<double>& raw,
                                         const std::vector<double>& outcomes);

// One line of a calibration file: `label<TAB>raw:calibrated ...`.
std::string CalibrationLine(const std::string& label,
                            const std::vector<CalibrationKnot>& knots);

}  // namespace classifyd::train

#endif  // CLASSIFYD_MODELS_TOOLS_ISOTONIC_H_
