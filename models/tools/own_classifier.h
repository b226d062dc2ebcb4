// `classifyd-train --name NAME --install DIR FILE.tsv...`: a user's own
// classifier in one command. Reads labelled TSV files (tsv_data.h), splits
// them by a hash of each text into train / calibration / test, trains a
// fastText one-vs-all model with the serving tokeniser, quantises it, fits
// the calibration (isotonic, the daemon's file format), evaluates on the
// test split as the daemon serves it, and writes a classifier the daemon
// loads:
//
//   DIR/NAME.toml                       manifest (written last, by rename)
//   DIR/NAME/model-GEN.ftz              the model (.bin: not quantised)
//   DIR/NAME/calibration-GEN.tsv        its calibration
//   DIR/NAME/MODEL.md, *.svg            model card and plots
//
// Every run is a new generation GEN with new file names, so a daemon
// watching DIR never reads a half-written file and keeps serving the old
// generation until the new manifest names the new one; the generation
// before stays on disk for requests still reading it, older ones are
// removed.
//
// Thread-compatible.
#ifndef CLASSIFYD_MODELS_TOOLS_OWN_CLASSIFIER_H_
#define CLASSIFYD_MODELS_TOOLS_OWN_CLASSIFIER_H_

#include <string>
#include <vector>

#include "fasttext_training.h"
#include "service/limits.h"

namespace classifyd::train {

struct OwnClassifierOptions {
  std::string name;                 // [a-z0-9_-]+: the classifier's name.
  std::vector<std::string> inputs;  // Labelled TSV files.
  std::string dir;                  // Plugin directory (or --out directory).
  int test_percent = 10;
  int calibration_percent = 10;
  // The daemon's default, reported in the card.
  float min_score = ServiceLimits{}.default_min_score;
  // Product-quantise the model (.ftz, a few MB); false: the full model
  // (.bin, ~ (tokens + bucket) * dim * 4 bytes), trained faster.
  bool quantize = true;
  TrainOptions train = DefaultOwnTrainOptions();

  static TrainOptions DefaultOwnTrainOptions();
};

// Runs the whole pipeline; prints a summary on stdout, progress on stderr.
// Returns 0, or throws std::runtime_error saying what was wrong.
int RunOwnClassifier(const OwnClassifierOptions& options);

}  // namespace classifyd::train

#endif  // CLASSIFYD_MODELS_TOOLS_OWN_CLASSIFIER_H_
