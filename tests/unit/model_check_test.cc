// The fastText model verifier (plugins/fasttext/model_check.h): models
// written field by field in fastText's format, checked, and the accepted
// ones really loaded and used by fastText; then one corruption at a time,
// each of which crashes, hangs or misleads fastText when not rejected.
#include "model_check.h"

#include <fasttext/fasttext.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd::plugins {
namespace {

using ::testing::HasSubstr;

// A supervised model in fastText 0.9.2's file format (FastText::saveModel):
// every field settable, so a test can break exactly one.
struct ModelFile {
  int32_t magic = 793712314;
  int32_t version = 12;
  // Args: dim ws epoch minCount neg wordNgrams loss model bucket minn maxn
  // lrUpdateRate, then t.
  int32_t dim = 4;
  int32_t word_ngrams = 2;
  int32_t loss = 3;   // softmax
  int32_t model = 3;  // supervised
  int32_t bucket = 8;
  int32_t minn = 0;
  int32_t maxn = 0;
  // Dictionary: word, count, type (0 word, 1 label).
  std::vector<std::tuple<std::string, int64_t, int8_t>> entries = {
      {"台", 3, 0},
      {"风", 2, 0},
      {"</s>", 2, 0},
      {"__label__weather", 2, 1},
      {"__label__finance", 1, 1}};
  int32_t size = 5;
  int32_t nwords = 3;
  int32_t nlabels = 2;
  int64_t prune_size = -1;
  std::vector<std::pair<int32_t, int32_t>> pruned;
  uint8_t quant_input = 0;
  uint8_t qnorm = 0;
  uint8_t qout = 0;
  int64_t input_rows = 3 + 8;
  int64_t input_cols = 4;
  int64_t output_rows = 2;
  int64_t output_cols = 4;
  // Quantised matrices: the product quantiser's fields (dim 4, dsub 2).
  int32_t pq_dim = 4;
  int32_t nsubq = 2;
  int32_t dsub = 2;
  int32_t lastdsub = 2;
  int32_t code_size_delta = 0;  // Added to rows * nsubq.
  float weight = 0.25f;         // Every weight and centroid.
  std::string trailer;          // Bytes after the output matrix.

  std::string Bytes() const {
    std::string out;
    auto put = [&out](const auto& v) {
      out.append(reinterpret_cast<const char*>(&v), sizeof v);
    };
    put(magic);
    put(version);
    for (int32_t v :
         {dim, 5, 5, 1, 5, word_ngrams, loss, model, bucket, minn, maxn, 100}) {
      put(v);
    }
    put(1e-4);
    put(size);
    put(nwords);
    put(nlabels);
    put(int64_t{10});
    put(prune_size);
    for (const auto& [word, count, type] : entries) {
      out += word;
      out.push_back('\0');
      put(count);
      put(type);
    }
    for (const auto& [bucket_id, row] : pruned) {
      put(bucket_id);
      put(row);
    }
    put(quant_input);
    Matrix(&out, quant_input != 0, input_rows, input_cols);
    put(qout);
    Matrix(&out, quant_input != 0 && qout != 0, output_rows, output_cols);
    out += trailer;
    return out;
  }

 private:
  void Matrix(std::string* out, bool quantized, int64_t rows,
              int64_t cols) const {
    auto put = [out](const auto& v) {
      out->append(reinterpret_cast<const char*>(&v), sizeof v);
    };
    auto floats = [&](int64_t n) {
      for (int64_t i = 0; i < n; ++i) put(weight);
    };
    if (!quantized) {
      put(rows);
      put(cols);
      floats(rows * cols);
      return;
    }
    put(qnorm);
    put(rows);
    put(cols);
    const int32_t code_size =
        static_cast<int32_t>(rows * nsubq) + code_size_delta;
    put(code_size);
    out->append(static_cast<size_t>(std::max(code_size, 0)), '\x07');
    for (int32_t v : {pq_dim, nsubq, dsub, lastdsub}) put(v);
    floats(int64_t{pq_dim} * 256);
    if (qnorm != 0) {
      out->append(static_cast<size_t>(rows), '\x03');
      for (int32_t v : {1, 1, 1, 1}) put(v);
      floats(256);
    }
  }
};

// Loads `bytes` with fastText and predicts, as the plugin does. Returns the
// number of labels predicted for a line of known and unknown words.
size_t LoadAndPredict(const std::string& bytes) {
  testing::TempDir dir;
  const std::string path = dir.WriteFile("model.ftz", bytes);
  fasttext::FastText model;
  model.loadModel(path);
  std::istringstream in("台 风 雨 台风\n");
  std::vector<int32_t> words;
  std::vector<int32_t> labels;
  model.getDictionary()->getLine(in, words, labels);
  fasttext::Predictions predictions;
  model.predict(5, words, predictions, 0.0f);
  return predictions.size();
}

TEST(ModelCheckTest, AcceptsTheBundledModel) {
  EXPECT_EQ(CheckFastTextModelFile(testing::BundledModelPath()), "");
}

TEST(ModelCheckTest, AcceptedModelsReallyLoadAndPredict) {
  std::vector<std::pair<std::string, ModelFile>> models;
  models.emplace_back("dense", ModelFile{});
  ModelFile subwords;
  subwords.minn = 2;
  subwords.maxn = 3;
  models.emplace_back("character n-grams", subwords);
  ModelFile hs;
  hs.loss = 1;
  models.emplace_back("hierarchical softmax", hs);
  ModelFile quantized;
  quantized.quant_input = 1;
  quantized.qnorm = 1;
  quantized.qout = 1;
  models.emplace_back("quantised", quantized);
  ModelFile pruned = quantized;
  pruned.prune_size = 2;
  pruned.pruned = {{5, 0}, {6, 1}};
  pruned.input_rows = 3 + 2;
  models.emplace_back("pruned", pruned);
  for (const auto& [name, model] : models) {
    SCOPED_TRACE(name);
    const std::string bytes = model.Bytes();
    ASSERT_EQ(CheckFastTextModel(bytes), "");
    EXPECT_EQ(LoadAndPredict(bytes), 2u);
  }
}

TEST(ModelCheckTest, RejectsEveryTruncation) {
  ModelFile quantized;
  quantized.quant_input = 1;
  quantized.qnorm = 1;
  for (const std::string& bytes : {ModelFile{}.Bytes(), quantized.Bytes()}) {
    for (size_t size = 0; size < bytes.size(); ++size) {
      EXPECT_NE(CheckFastTextModel(std::string_view(bytes).substr(0, size)), "")
          << size << " of " << bytes.size() << " bytes";
    }
  }
  // The bundled model cut inside its dictionary: fastText's loader reads
  // the last word forever, looking for its NUL terminator.
  testing::TempDir dir;
  std::ifstream in(testing::BundledModelPath(), std::ios::binary);
  std::ostringstream bundled;
  bundled << in.rdbuf();
  const std::string cut =
      dir.WriteFile("cut.ftz", bundled.str().substr(0, 1000));
  EXPECT_THAT(CheckFastTextModelFile(cut),
              HasSubstr("ends inside the dictionary"));
}

TEST(ModelCheckTest, RejectsEachCorruption) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  struct Case {
    const char* what;
    std::function<void(ModelFile&)> corrupt;
    const char* expected;
  } cases[] = {
      {"magic", [](ModelFile& m) { m.magic = 1; }, "bad magic"},
      {"newer format", [](ModelFile& m) { m.version = 13; }, "version 13"},
      {"unsupervised", [](ModelFile& m) { m.model = 2; }, "not a supervised"},
      {"loss", [](ModelFile& m) { m.loss = 7; }, "unknown loss"},
      {"dimension", [](ModelFile& m) { m.dim = 0; }, "dimension 0"},
      // fastText divides by the bucket count for word n-grams: SIGFPE.
      {"no buckets", [](ModelFile& m) { m.bucket = 0; }, "no hash buckets"},
      {"negative buckets", [](ModelFile& m) { m.bucket = -8; },
       "negative number of hash buckets"},
      // Quadratic work per document: character n-grams of every length
      // for each unknown word, word n-grams of every length.
      {"negative maxn", [](ModelFile& m) { m.maxn = -3; },
       "character n-gram lengths minn 0, maxn -3 (allowed: 0 to 64)"},
      {"negative minn", [](ModelFile& m) { m.minn = -1; }, "minn -1, maxn 0"},
      {"huge maxn", [](ModelFile& m) { m.maxn = 100000; }, "maxn 100000"},
      {"huge word n-grams", [](ModelFile& m) { m.word_ngrams = 1 << 28; },
       "word n-grams of up to 268435456 words (allowed: up to 64)"},
      {"entry count", [](ModelFile& m) { m.size = 6; }, "counts disagree"},
      {"no labels",
       [](ModelFile& m) {
         m.nlabels = 0;
         m.nwords = 5;
       },
       "no labels"},
      {"label among words", [](ModelFile& m) { std::get<2>(m.entries[1]) = 1; },
       "type 1"},
      // Hierarchical softmax's tree turns cyclic: endless recursion.
      {"huge count",
       [](ModelFile& m) {
         m.loss = 1;
         std::get<1>(m.entries[3]) = 2'000'000'000'000'000;
       },
       "count 2000000000000000"},
      {"prune count", [](ModelFile& m) { m.prune_size = -2; }, "pruned"},
      {"pruned but dense",
       [](ModelFile& m) {
         m.prune_size = 1;
         m.pruned = {{1, 0}};
       },
       "not quantised"},
      {"pruned row",
       [](ModelFile& m) {
         m.quant_input = 1;
         m.prune_size = 1;
         m.pruned = {{1, -3}};
       },
       "row -3"},
      {"pruned row past the matrix",
       [](ModelFile& m) {
         m.quant_input = 1;
         m.prune_size = 1;
         m.pruned = {{1, 20}};
       },
       "needs at least 24"},
      {"input rows", [](ModelFile& m) { m.input_rows = 10; },
       "needs at least 11"},
      {"output rows", [](ModelFile& m) { m.output_rows = 3; }, "needs 2"},
      {"columns", [](ModelFile& m) { m.input_cols = 5; }, "5 columns"},
      {"NaN weight", [nan](ModelFile& m) { m.weight = nan; }, "NaN"},
      {"quantisation flag", [](ModelFile& m) { m.quant_input = 2; },
       "not 0 or 1"},
      {"norm flag",
       [](ModelFile& m) {
         m.quant_input = 1;
         m.qnorm = 5;
       },
       "norm flag"},
      {"sub-quantisers",
       [](ModelFile& m) {
         m.quant_input = 1;
         m.dsub = 3;
       },
       "product quantiser"},
      {"code size",
       [](ModelFile& m) {
         m.quant_input = 1;
         m.code_size_delta = -1;
       },
       "code bytes"},
      {"trailing bytes", [](ModelFile& m) { m.trailer.push_back(0x78); },
       "1 unexpected bytes"},
  };
  for (const Case& c : cases) {
    ModelFile model;
    c.corrupt(model);
    EXPECT_THAT(CheckFastTextModel(model.Bytes()), HasSubstr(c.expected))
        << c.what;
  }
}

}  // namespace
}  // namespace classifyd::plugins
