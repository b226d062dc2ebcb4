// Scores every label of a supervised fastText model for a text, exactly,
// ranked by the model's own output (the logit), shared by the fastText plugin
// and classifyd-train so that serving, evaluation and calibration see the
// same scores in the same order.
//
// Why not fastText's predict(): for one-vs-all and negative-sampling models
// it squashes logits with a 512-entry sigmoid table that returns exactly 1.0
// for every logit above 8, so confident labels tie at 1.0 and the top label
// among them is whichever the heap yields first. Here the logits are computed
// from the model's matrices (dense or product-quantised) and ranked as they
// are; the score is the exact sigmoid (softmax for softmax models). For
// hierarchical-softmax models, whose scores are path products, fastText's
// own predict() is used.
//
// Thread-safe: after Load(), every const member may be called concurrently.
#ifndef CLASSIFYD_PLUGINS_FASTTEXT_LABEL_SCORER_H_
#define CLASSIFYD_PLUGINS_FASTTEXT_LABEL_SCORER_H_

#include <absl/container/flat_hash_map.h>
#include <fasttext/fasttext.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quantized_rows.h"

namespace classifyd::plugins {

struct ScoredLabel {
  int32_t label = 0;  // Index into LabelScorer::labels().
  double logit = 0;   // The ranking key (log-probability for hs models).
  float score = 0;    // Probability in [0, 1].
};

class LabelScorer : private fasttext::FastText {
 public:
  // Loads a supervised model (.bin or .ftz); labels lose `label_prefix`.
  // Throws std::exception (fastText's own, or std::runtime_error when the
  // model has no labels) with a message naming nothing but the problem.
  // fastText trusts the file: where it may be hostile, check it first with
  // CheckFastTextModelFile() (model_check.h).
  void Load(const std::string& path, const std::string& label_prefix);

  const std::vector<std::string>& labels() const { return labels_; }
  // The loaded model, for its Args and Dictionary.
  const fasttext::FastText& model() const { return *this; }

  // The fastText word ids of `text` after the serving normaliser and
  // tokeniser (text/tokenizer.h): the ids fastText's Dictionary::getLine()
  // gives for the tokens joined by spaces, ending in a newline, as training
  // lines do. Empty when the text has no token. `known_words`, if given,
  // is set to the number of tokens in the model's vocabulary (the model
  // learnt something about them; the others count only through their
  // character n-grams, if any).
  std::vector<int32_t> Words(std::string_view text,
                             int* known_words = nullptr) const;

  // The `k` best labels of `words` whose score is at least `threshold`,
  // best first; equal logits keep label order. Empty when `words` is.
  std::vector<ScoredLabel> Rank(const std::vector<int32_t>& words, int32_t k,
                                float threshold) const;

 private:
  std::vector<ScoredLabel> RankByFastText(const std::vector<int32_t>& words,
                                          int32_t k, float threshold) const;

  // Dictionary::addWordNgrams() and pushHash(), with the kept n-gram rows
  // of a quantised model looked up in ngram_rows_.
  void AddWordNgrams(const std::vector<int32_t>& hashes,
                     std::vector<int32_t>* words) const;
  void AddNgram(int32_t bucket, std::vector<int32_t>* words) const;

  std::vector<std::string> labels_;
  fasttext::loss_name loss_ = fasttext::loss_name::ova;
  // From the model's Args.
  int32_t word_ngrams_ = 1;
  uint64_t buckets_ = 0;
  bool subwords_ = false;  // Character n-grams (maxn > 0).
  // How the model maps an n-gram's hash bucket to an input row, as the
  // Dictionary's private pruneidx_ says: every bucket to nwords + bucket
  // (not quantised with a cutoff), or only the buckets a cutoff kept, to
  // nwords + ngram_rows_[bucket] (none when it kept no n-gram).
  bool every_bucket_has_a_row_ = true;
  absl::flat_hash_map<int32_t, int32_t> ngram_rows_;
  // The input matrix's rows, when it is quantised.
  std::optional<QuantizedRows> quantized_input_;
};

}  // namespace classifyd::plugins

#endif  // CLASSIFYD_PLUGINS_FASTTEXT_LABEL_SCORER_H_
