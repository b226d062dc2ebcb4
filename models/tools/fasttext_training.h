// fastText training and quantisation settings of classifyd-train, and the
// calls that apply them.
//
// Thread-compatible (no shared state).
#ifndef CLASSIFYD_MODELS_TOOLS_FASTTEXT_TRAINING_H_
#define CLASSIFYD_MODELS_TOOLS_FASTTEXT_TRAINING_H_

#include <fasttext/args.h>
#include <fasttext/fasttext.h>

#include <string>

namespace classifyd::train {

struct QuantizeOptions {
  int64_t cutoff = 0;  // Keep this many input rows (words + n-grams); 0: all.
  bool qnorm = true;
  bool retrain = false;
  int dsub = 2;
  bool qout = false;
  int retrain_epoch = 0;    // 0: the training epoch count.
  double retrain_lr = 0.0;  // 0: the training learning rate.
};

struct TrainOptions {
  std::string input;
  std::string output;
  std::string quantized_output;
  std::string work_file;
  bool keep_work_file = false;
  double lr = 0.5;
  int lr_update_rate = 100;
  int epoch = 25;
  int dim = 100;
  int word_ngrams = 2;
  int min_count = 1;
  int min_count_label = 1;
  int bucket = 2000000;
  int minn = 0;
  int maxn = 0;
  int neg = 5;
  std::string loss = "softmax";
  std::string pretrained_vectors;
  int thread = 1;
  int seed = 0;
  int verbose = 1;
  QuantizeOptions quantize;
};

// "softmax", "ova" (or "one-vs-all"), "hs", "ns". Throws
// std::runtime_error for anything else.
fasttext::loss_name ParseLoss(const std::string& loss);

// fastText's Args for a supervised model trained with `options`.
fasttext::Args ToFastTextArgs(const TrainOptions& options);

// Quantises `model` (trained from `work_file`, a fastText training file,
// needed only for a retrain) and saves it to `output`; logs to stderr.
void Quantize(fasttext::FastText& model, const std::string& work_file,
              const TrainOptions& options, const std::string& output);

}  // namespace classifyd::train

#endif  // CLASSIFYD_MODELS_TOOLS_FASTTEXT_TRAINING_H_
