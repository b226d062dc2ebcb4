// fastText models made by tests: the settings of a supervised model that
// trains in a fraction of a second, and the model's matrices, which
// fasttext::FastText keeps protected (a test may read or rewrite them).
// Header-only: only test binaries that link fastText include it.
#ifndef CLASSIFYD_TESTS_TESTING_FASTTEXT_MODELS_H_
#define CLASSIFYD_TESTS_TESTING_FASTTEXT_MODELS_H_

#include <fasttext/args.h>
#include <fasttext/fasttext.h>
#include <fasttext/matrix.h>

#include <string>

namespace classifyd::testing {

// A one-vs-all supervised model of the fastText training file `input`:
// dim 8, one epoch, one thread, silent, and no n-grams of either kind
// (fasttext::Args() would give skipgram's 3-6 character n-grams and 2M
// buckets). Tests set what else they need.
inline fasttext::Args TinySupervisedArgs(const std::string& input) {
  fasttext::Args args;
  args.input = input;
  args.model = fasttext::model_name::sup;
  args.loss = fasttext::loss_name::ova;
  args.dim = 8;
  args.epoch = 1;
  args.wordNgrams = 1;
  args.minn = 0;
  args.maxn = 0;
  args.bucket = 0;
  args.thread = 1;
  args.verbose = 0;
  return args;
}

// Member pointers taken through this subclass reach a model's matrices.
struct FastTextMatrices : fasttext::FastText {
  static fasttext::Matrix& Input(fasttext::FastText& model) {
    return *(model.*(&FastTextMatrices::input_));
  }
  static fasttext::Matrix& Output(fasttext::FastText& model) {
    return *(model.*(&FastTextMatrices::output_));
  }
};

}  // namespace classifyd::testing

#endif  // CLASSIFYD_TESTS_TESTING_FASTTEXT_MODELS_H_
