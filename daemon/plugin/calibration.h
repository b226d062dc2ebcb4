// Maps a classifier's raw scores to calibrated probabilities, label by
// label, with the monotone piecewise-linear functions of a calibration file
// (isotonic-regression knots) a manifest names as `calibration`. The host
// applies it to every score a plugin returns, before the manifest's weight
// and the merge, so that scores of different classifiers (and of labels of
// one classifier) mean the same thing: the chance the label is right.
//
// File format (docs/plugins.md, "Calibration files"):
//
//   # classifyd calibration v1
//   # label<TAB>raw:calibrated raw:calibrated ...
//   finance	0:0.01 0.2:0.15 0.5:0.6 1:0.97
//   *@1	0:0.2 0.5:0.6 1:0.97
//   *	0:0 1:1
//
// The first line is the header, exactly. Then one line per label: the
// label, a tab, and knots separated by spaces; raw values strictly
// ascending, calibrated values non-decreasing, all in [0, 1]. `*` applies
// to labels without a line of their own; a label with neither passes
// through unchanged. A line for `label@1` or `*@1` applies only to the
// classifier's top label for a document (its highest raw score), which is
// right far more often than a second label with the same raw score; for
// the top label the lookup is `label@1`, `label`, `*@1`, `*`. Between
// knots the function is linear; outside them it is the nearest knot's
// value. Blank lines and lines starting with # are skipped.
//
// Thread-safe: immutable once built.
#ifndef CLASSIFYD_DAEMON_PLUGIN_CALIBRATION_H_
#define CLASSIFYD_DAEMON_PLUGIN_CALIBRATION_H_

#include <absl/status/statusor.h>

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace classifyd {

class Calibration {
 public:
  // The first line of every calibration file.
  static constexpr std::string_view kHeader = "# classifyd calibration v1";
  // Larger files are refused: a calibration has a line per label.
  static constexpr size_t kMaxFileBytes = 16 << 20;

  // Parses the text of the calibration file at `path` (named in messages).
  // Returns the calibration, or INVALID_ARGUMENT saying what is wrong with
  // it, naming the file and the line.
  static absl::StatusOr<Calibration> Parse(std::string_view text,
                                           const std::string& path);
  // Reads and parses the file at `path`; NOT_FOUND if it cannot be read.
  static absl::StatusOr<Calibration> Load(const std::string& path);

  // The calibrated score of `raw` for `label`, in [0, 1]; `top` says the
  // label is the classifier's top label for the document.
  float Apply(std::string_view label, float raw, bool top = false) const;

  // Number of lines other than `*` and `*@1`.
  size_t labels() const { return curves_.size() + top_curves_.size(); }

 private:
  struct Knot {
    double raw;
    double calibrated;
  };
  using Curve = std::vector<Knot>;

  static double Evaluate(const Curve& curve, double raw);
  const Curve* Find(std::string_view label, bool top) const;

  std::map<std::string, Curve, std::less<>> curves_;
  std::map<std::string, Curve, std::less<>> top_curves_;  // `label@1` lines.
  Curve fallback_;      // From the `*` line; empty: none.
  Curve top_fallback_;  // From the `*@1` line; empty: none.
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_PLUGIN_CALIBRATION_H_
