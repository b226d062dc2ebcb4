#include "fasttext_training.h"

#include <chrono>
#include <iostream>
#include <stdexcept>

#include "tool_format.h"
#include "tsv_data.h"

namespace classifyd::train {

fasttext::loss_name ParseLoss(const std::string& loss) {
  if (loss == "softmax") return fasttext::loss_name::softmax;
  // "one-vs-all" is how fastText's Args::lossToString spells ova.
  if (loss == "ova" || loss == "one-vs-all") return fasttext::loss_name::ova;
  if (loss == "hs") return fasttext::loss_name::hs;
  if (loss == "ns") return fasttext::loss_name::ns;
  throw std::runtime_error("unknown loss '" + loss + "'");
}

fasttext::Args ToFastTextArgs(const TrainOptions& options) {
  fasttext::Args args;
  args.model = fasttext::model_name::sup;
  args.loss = ParseLoss(options.loss);
  args.lr = options.lr;
  args.lrUpdateRate = options.lr_update_rate;
  args.dim = options.dim;
  args.epoch = options.epoch;
  args.minCount = options.min_count;
  args.minCountLabel = options.min_count_label;
  args.wordNgrams = options.word_ngrams;
  args.bucket = options.bucket;
  args.minn = options.minn;
  args.maxn = options.maxn;
  args.neg = options.neg;
  args.pretrainedVectors = options.pretrained_vectors;
  args.thread = options.thread;
  args.seed = options.seed;
  args.verbose = options.verbose;
  args.label = std::string(kLabelPrefix);
  // As fastText's own argument parser: without word n-grams or subwords the
  // hash buckets are unused, so do not allocate them.
  if (args.wordNgrams <= 1 && args.maxn == 0) args.bucket = 0;
  return args;
}

void Quantize(fasttext::FastText& model, const std::string& work_file,
              const TrainOptions& options, const std::string& output) {
  fasttext::Args qargs = ToFastTextArgs(options);
  qargs.input = work_file;
  qargs.output = output;
  qargs.cutoff = static_cast<size_t>(options.quantize.cutoff);
  qargs.qnorm = options.quantize.qnorm;
  qargs.retrain = options.quantize.retrain;
  qargs.dsub = static_cast<size_t>(options.quantize.dsub);
  qargs.qout = options.quantize.qout;
  if (options.quantize.retrain_epoch > 0) {
    qargs.epoch = options.quantize.retrain_epoch;
  }
  if (options.quantize.retrain_lr > 0) qargs.lr = options.quantize.retrain_lr;
  const auto start = std::chrono::steady_clock::now();
  model.quantize(qargs);
  model.saveModel(output);
  std::cerr << "quantize: cutoff=" << options.quantize.cutoff
            << " dsub=" << options.quantize.dsub
            << " qnorm=" << options.quantize.qnorm
            << " qout=" << options.quantize.qout
            << " retrain=" << options.quantize.retrain;
  if (options.quantize.retrain) {
    std::cerr << " (epoch=" << qargs.epoch << " lr=" << qargs.lr << ")";
  }
  std::cerr << " in " << Fixed(Seconds(start), 1) << " s -> " << output << " ("
            << FileSize(output) << ")\n";
}

}  // namespace classifyd::train
