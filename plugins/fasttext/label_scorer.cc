#include "label_scorer.h"

#include <fasttext/vector.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "text/tokenizer.h"

namespace classifyd::plugins {

namespace {

// A quantised model's Dictionary keeps the n-gram buckets its cutoff kept
// in a protected std::unordered_map, which its getLine() searches twice per
// n-gram, each search a cache miss or two: more time than the rest of a
// headline's lookups. Member pointers taken through this subclass read it
// once, at load, into a flat map.
struct DictionaryInternals : fasttext::Dictionary {
  static const std::unordered_map<int32_t, int32_t>& PruneIndex(
      const fasttext::Dictionary& d) {
    return d.*(&DictionaryInternals::pruneidx_);
  }
  static int64_t PruneIndexSize(const fasttext::Dictionary& d) {
    return d.*(&DictionaryInternals::pruneidx_size_);
  }
};

}  // namespace

void LabelScorer::Load(const std::string& path,
                       const std::string& label_prefix) {
  loadModel(path);
  // getArgs() returns a copy, strings and all: read it once.
  const fasttext::Args args = getArgs();
  loss_ = args.loss;
  word_ngrams_ = args.wordNgrams;
  buckets_ = args.bucket > 0 ? static_cast<uint64_t>(args.bucket) : 0;
  subwords_ = args.maxn > 0;
  if (dict_->nlabels() == 0) {
    throw std::runtime_error("not a supervised model (it has no labels)");
  }
  labels_.clear();
  for (int32_t i = 0; i < dict_->nlabels(); ++i) {
    std::string label = dict_->getLabel(i);
    if (label.compare(0, label_prefix.size(), label_prefix) == 0) {
      label.erase(0, label_prefix.size());
    }
    labels_.push_back(std::move(label));
  }
  quantized_input_ = QuantizedRows::Of(*input_);
  // pruneidx_size_ is -1 unless a cutoff pruned the rows; then pruneidx_
  // holds the buckets it kept (none at all when it is 0).
  every_bucket_has_a_row_ = DictionaryInternals::PruneIndexSize(*dict_) < 0;
  ngram_rows_.clear();
  if (!every_bucket_has_a_row_) {
    const auto& index = DictionaryInternals::PruneIndex(*dict_);
    ngram_rows_.reserve(index.size());
    for (const auto& [bucket, row] : index) ngram_rows_.emplace(bucket, row);
  }
}

// Dictionary::getLine() for a supervised model, on the tokens themselves
// rather than a stream of them.
std::vector<int32_t> LabelScorer::Words(std::string_view text,
                                        int* known_words) const {
  std::vector<int32_t> words;
  std::vector<std::string> tokens;
  text::Tokenize(text, &tokens);
  if (known_words != nullptr) *known_words = 0;
  if (tokens.empty()) return words;
  // Training lines end with a newline, which fastText reads as the
  // end-of-sentence token.
  tokens.push_back(fasttext::Dictionary::EOS);
  std::vector<int32_t> hashes;  // int32_t, as fastText keeps them.
  hashes.reserve(tokens.size());
  words.reserve(tokens.size() *
                std::min<size_t>(std::max(word_ngrams_, 1), tokens.size()));
  for (const std::string& token : tokens) {
    const uint32_t h = dict_->hash(token);
    const int32_t id = dict_->getId(token, h);
    const fasttext::entry_type type =
        id < 0 ? dict_->getType(token) : dict_->getType(id);
    if (type != fasttext::entry_type::word) continue;
    if (known_words != nullptr && id >= 0 &&
        token != fasttext::Dictionary::EOS) {
      ++*known_words;
    }
    if (id < 0) {  // Unknown: its character n-grams, if the model has any.
      if (token != fasttext::Dictionary::EOS && subwords_) {
        dict_->computeSubwords(
            fasttext::Dictionary::BOW + token + fasttext::Dictionary::EOW,
            words);
      }
    } else if (!subwords_) {
      words.push_back(id);
    } else {
      const std::vector<int32_t>& subwords = dict_->getSubwords(id);
      words.insert(words.end(), subwords.begin(), subwords.end());
    }
    hashes.push_back(static_cast<int32_t>(h));
  }
  AddWordNgrams(hashes, &words);
  return words;
}

void LabelScorer::AddWordNgrams(const std::vector<int32_t>& hashes,
                                std::vector<int32_t>* words) const {
  const size_t n = word_ngrams_ > 1 ? static_cast<size_t>(word_ngrams_) : 1;
  if (n == 1 || buckets_ == 0) return;
  for (size_t i = 0; i < hashes.size(); ++i) {
    // Sign-extended, as fastText widens its int32_t hashes.
    auto h = static_cast<uint64_t>(static_cast<int64_t>(hashes[i]));
    for (size_t j = i + 1; j < hashes.size() && j < i + n; ++j) {
      h = h * 116049371 +
          static_cast<uint64_t>(static_cast<int64_t>(hashes[j]));
      AddNgram(static_cast<int32_t>(h % buckets_), words);
    }
  }
}

void LabelScorer::AddNgram(int32_t bucket, std::vector<int32_t>* words) const {
  if (every_bucket_has_a_row_) {
    words->push_back(dict_->nwords() + bucket);
  } else if (auto it = ngram_rows_.find(bucket); it != ngram_rows_.end()) {
    words->push_back(dict_->nwords() + it->second);
  }
}

std::vector<ScoredLabel> LabelScorer::Rank(const std::vector<int32_t>& words,
                                           int32_t k, float threshold) const {
  if (words.empty() || k <= 0) return {};
  if (loss_ == fasttext::loss_name::hs) {
    return RankByFastText(words, k, threshold);
  }
  // Model::computeHidden and Loss::computeOutput, without the table.
  fasttext::Vector hidden(input_->size(1));
  hidden.zero();
  if (quantized_input_) {
    for (int32_t word : words) quantized_input_->AddTo(&hidden, word);
  } else {
    for (int32_t word : words) hidden.addRow(*input_, word);
  }
  hidden.mul(1.0f / static_cast<float>(words.size()));
  std::vector<ScoredLabel> all(labels_.size());
  for (size_t i = 0; i < all.size(); ++i) {
    all[i].label = static_cast<int32_t>(i);
    all[i].logit = output_->dotRow(hidden, static_cast<int64_t>(i));
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const ScoredLabel& a, const ScoredLabel& b) {
                     return a.logit > b.logit;
                   });
  double softmax_sum = 0;
  if (loss_ == fasttext::loss_name::softmax) {
    for (const ScoredLabel& s : all) {
      softmax_sum += std::exp(s.logit - all.front().logit);
    }
  }
  std::vector<ScoredLabel> result;
  for (ScoredLabel& s : all) {
    if (static_cast<int32_t>(result.size()) == k) break;
    const double p = loss_ == fasttext::loss_name::softmax
                         ? std::exp(s.logit - all.front().logit) / softmax_sum
                         : 1.0 / (1.0 + std::exp(-s.logit));
    s.score = static_cast<float>(p);
    if (s.score < threshold) break;  // Scores fall with the logits.
    result.push_back(s);
  }
  return result;
}

std::vector<ScoredLabel> LabelScorer::RankByFastText(
    const std::vector<int32_t>& words, int32_t k, float threshold) const {
  fasttext::Predictions predictions;
  predict(k, words, predictions, threshold);
  std::vector<ScoredLabel> result;
  for (const auto& [log_probability, label] : predictions) {
    result.push_back(
        {label, log_probability, std::min(std::exp(log_probability), 1.0f)});
  }
  return result;
}

}  // namespace classifyd::plugins
