#include "model_check.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

namespace classifyd::plugins {
namespace {

// fastText's file header (src/fasttext.cc: FASTTEXT_FILEFORMAT_MAGIC_INT32
// and FASTTEXT_VERSION).
constexpr int32_t kMagic = 793712314;
constexpr int32_t kVersion = 12;
// Longest word or character n-gram a model may use: fastText's defaults
// are 1-2 words and 3-6 characters.
constexpr int32_t kMaxNgramLength = 64;
// Header (8) + serialised Args (12 int32 + 1 double).
constexpr size_t kMinimumSize = 8 + 12 * 4 + 8;
// Args::model and Args::loss (src/args.h).
constexpr int32_t kModelSupervised = 3;
constexpr int32_t kLossHs = 1;
constexpr int32_t kLossOva = 4;
// ProductQuantizer::ksub_: centroids per sub-quantiser.
constexpr int64_t kCentroids = 256;
// Hierarchical softmax builds its tree with 1e15 as "no node yet"
// (src/loss.cc); a label count at or above it makes the tree cyclic, and
// prediction then recurses forever. Real counts are far below.
constexpr int64_t kMaxCount = 1'000'000'000'000'000;

// Bounds-checked little-endian reads over the file's bytes. A failed read
// leaves the reader where it was.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  size_t offset() const { return offset_; }
  size_t remaining() const { return bytes_.size() - offset_; }

  template <typename T>
  std::optional<T> Read() {
    if (remaining() < sizeof(T)) return std::nullopt;
    T value;
    std::memcpy(&value, bytes_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return value;
  }

  // A bool as fastText writes it: one byte, 0 or 1 (anything else is
  // undefined behaviour when read back into a bool).
  std::optional<bool> ReadBool() {
    auto byte = Read<uint8_t>();
    if (!byte || *byte > 1) return std::nullopt;
    return *byte == 1;
  }

  // A NUL-terminated string; the terminator is consumed.
  std::optional<std::string_view> ReadCString() {
    const size_t end = bytes_.find('\0', offset_);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view s = bytes_.substr(offset_, end - offset_);
    offset_ = end + 1;
    return s;
  }

  // `count` floats, all finite. Returns false (without advancing) if the
  // file is too short or one is NaN or infinite.
  bool SkipFiniteFloats(int64_t count, bool* non_finite) {
    *non_finite = false;
    if (count < 0 || static_cast<uint64_t>(count) > remaining() / 4) {
      return false;
    }
    const char* p = bytes_.data() + offset_;
    for (int64_t i = 0; i < count; ++i) {
      float f;
      std::memcpy(&f, p + 4 * i, sizeof f);
      if (!std::isfinite(f)) {
        *non_finite = true;
        return false;
      }
    }
    offset_ += static_cast<size_t>(count) * 4;
    return true;
  }

  bool Skip(int64_t count) {
    if (count < 0 || static_cast<uint64_t>(count) > remaining()) return false;
    offset_ += static_cast<size_t>(count);
    return true;
  }

 private:
  std::string_view bytes_;
  size_t offset_ = 0;
};

std::string At(const Reader& in) {
  return " (at byte " + std::to_string(in.offset()) + ")";
}

std::string Truncated(const Reader& in, const char* what) {
  return std::string("the file ends inside the ") + what + At(in) +
         "; it is truncated or not a fastText model";
}

// The norm quantiser of a quantised matrix with `rows` rows: one norm code
// per row, then a one-dimensional product quantiser.
std::string CheckNormQuantizer(Reader& in, const std::string& matrix,
                               int64_t rows) {
  if (!in.Skip(rows)) return Truncated(in, matrix.c_str());
  auto n_dim = in.Read<int32_t>();
  auto n_nsubq = in.Read<int32_t>();
  auto n_dsub = in.Read<int32_t>();
  auto n_lastdsub = in.Read<int32_t>();
  if (!n_dim || !n_nsubq || !n_dsub || !n_lastdsub) {
    return Truncated(in, matrix.c_str());
  }
  if (*n_dim != 1 || *n_nsubq != 1 || *n_dsub != 1 || *n_lastdsub != 1) {
    return "the " + matrix + "'s norm quantiser is not one-dimensional" +
           At(in);
  }
  bool non_finite = false;
  if (!in.SkipFiniteFloats(kCentroids, &non_finite)) {
    return non_finite ? "the " + matrix +
                            " holds a NaN or infinite norm centroid" + At(in)
                      : Truncated(in, matrix.c_str());
  }
  return "";
}

// The rest of a quantised matrix (src/quantmatrix.cc) after its shape: the
// codes, the product quantiser (src/productquantizer.cc) and, if `qnorm`,
// the norm quantiser.
std::string CheckQuantizedMatrix(Reader& in, const std::string& matrix,
                                 int32_t dim, int64_t rows, bool qnorm) {
  auto code_size = in.Read<int32_t>();
  if (!code_size) return Truncated(in, matrix.c_str());
  const int64_t code_offset = static_cast<int64_t>(in.offset());
  if (!in.Skip(*code_size)) return Truncated(in, matrix.c_str());
  auto pq_dim = in.Read<int32_t>();
  auto nsubq = in.Read<int32_t>();
  auto dsub = in.Read<int32_t>();
  auto lastdsub = in.Read<int32_t>();
  if (!pq_dim || !nsubq || !dsub || !lastdsub) {
    return Truncated(in, matrix.c_str());
  }
  // What ProductQuantizer(dim, dsub) computes; anything else indexes past
  // the centroids.
  const bool consistent = *pq_dim == dim && *dsub >= 1 && *dsub <= dim &&
                          *nsubq == (int64_t{dim} + *dsub - 1) / *dsub &&
                          *lastdsub == dim - (*nsubq - 1) * *dsub;
  if (!consistent) {
    return "the " + matrix + "'s product quantiser (dim " +
           std::to_string(*pq_dim) + ", " + std::to_string(*nsubq) +
           " sub-quantisers of " + std::to_string(*dsub) +
           ") does not fit the model's dimension " + std::to_string(dim) +
           At(in);
  }
  if (*code_size != rows * *nsubq) {
    return "the " + matrix + " has " + std::to_string(*code_size) +
           " code bytes for " + std::to_string(rows) + " rows of " +
           std::to_string(*nsubq) + " codes (from byte " +
           std::to_string(code_offset) + ")";
  }
  bool non_finite = false;
  if (!in.SkipFiniteFloats(int64_t{dim} * kCentroids, &non_finite)) {
    return non_finite
               ? "the " + matrix + " holds a NaN or infinite centroid" + At(in)
               : Truncated(in, matrix.c_str());
  }
  return qnorm ? CheckNormQuantizer(in, matrix, rows) : "";
}

// A matrix as src/densematrix.cc or src/quantmatrix.cc reads it. Its rows
// must be at least `min_rows` (every index prediction can use), its columns
// `dim`. `exact_rows` also caps the rows (the output matrix, whose rows are
// the labels).
std::string CheckMatrix(Reader& in, bool quantized, const char* name,
                        int32_t dim, int64_t min_rows, bool exact_rows) {
  const std::string matrix = std::string(name) + " matrix";
  std::optional<bool> qnorm;
  if (quantized) {
    qnorm = in.ReadBool();
    if (!qnorm) return "the " + matrix + "'s norm flag is not 0 or 1" + At(in);
  }
  auto rows = in.Read<int64_t>();
  auto cols = in.Read<int64_t>();
  if (!rows || !cols) return Truncated(in, matrix.c_str());
  if (*cols != dim) {
    return "the " + matrix + " has " + std::to_string(*cols) +
           " columns but the model's dimension is " + std::to_string(dim) +
           At(in);
  }
  if (*rows < min_rows || (exact_rows && *rows != min_rows) ||
      *rows > std::numeric_limits<int32_t>::max()) {
    return "the " + matrix + " has " + std::to_string(*rows) +
           " rows; the dictionary needs " + (exact_rows ? "" : "at least ") +
           std::to_string(min_rows) + At(in);
  }
  if (quantized) return CheckQuantizedMatrix(in, matrix, dim, *rows, *qnorm);
  if (static_cast<uint64_t>(*rows) * static_cast<uint64_t>(dim) >
      in.remaining() / 4) {
    return Truncated(in, matrix.c_str());
  }
  bool non_finite = false;
  if (!in.SkipFiniteFloats(*rows * dim, &non_finite)) {
    return "the " + matrix + " holds a NaN or infinite weight" + At(in);
  }
  return "";
}

// What the header and the dictionary say the matrices must hold.
struct ModelShape {
  int32_t dim = 0;
  int32_t bucket = 0;
  bool hashes = false;  // Character or word n-grams are enabled.
  int32_t nwords = 0;
  int32_t nlabels = 0;
  bool pruned = false;
  int64_t max_pruned_row = -1;
};

// The magic number, version and Args (src/args.cc, Args::load). The file is
// at least kMinimumSize bytes, so these reads cannot fail.
std::string CheckHeader(Reader& in, ModelShape* shape) {
  const int32_t magic = *in.Read<int32_t>();
  const int32_t version = *in.Read<int32_t>();
  if (magic != kMagic) return "not a fastText model (bad magic number)";
  if (version > kVersion) {
    return "fastText format version " + std::to_string(version) +
           "; this plugin reads up to " + std::to_string(kVersion);
  }
  int32_t args[12];
  for (int32_t& a : args) a = *in.Read<int32_t>();
  const int32_t dim = args[0];
  const int32_t word_ngrams = args[5];
  const int32_t loss = args[6];
  const int32_t model = args[7];
  const int32_t bucket = args[8];
  const int32_t minn = args[9];
  // Old supervised models (version 11) have no character n-grams.
  const int32_t maxn = version == 11 ? 0 : args[10];
  in.Read<double>();  // t: sampling threshold, unused by prediction.
  if (model != kModelSupervised) {
    return "not a supervised model (model type " + std::to_string(model) +
           "); only classifiers can be served";
  }
  if (loss < kLossHs || loss > kLossOva) {
    return "unknown loss function " + std::to_string(loss);
  }
  if (dim < 1) return "dimension " + std::to_string(dim) + " is not positive";
  if (bucket < 0) {
    return "negative number of hash buckets (" + std::to_string(bucket) + ")";
  }
  // A document costs fastText tokens x min(wordNgrams, tokens) and an
  // unknown word length x min(maxn, length): quadratic when they are
  // unbounded. fastText compares a size_t with maxn, so a negative one is
  // unbounded too.
  if (minn < 0 || maxn < 0 || maxn > kMaxNgramLength) {
    return "character n-gram lengths minn " + std::to_string(minn) + ", maxn " +
           std::to_string(maxn) + " (allowed: 0 to " +
           std::to_string(kMaxNgramLength) + ")";
  }
  if (word_ngrams > kMaxNgramLength) {
    return "word n-grams of up to " + std::to_string(word_ngrams) +
           " words (allowed: up to " + std::to_string(kMaxNgramLength) + ")";
  }
  shape->dim = dim;
  shape->bucket = bucket;
  shape->hashes = (maxn >= 1 && maxn >= minn) || word_ngrams > 1;
  if (bucket == 0 && shape->hashes) {
    return "character or word n-grams are enabled but there are no hash "
           "buckets";
  }
  return "";
}

// The dictionary's `size` entries: words first, then labels, since
// prediction indexes the input matrix with word ids and the label list with
// label ids.
std::string CheckDictionaryEntries(Reader& in, int32_t size, int32_t nwords) {
  // Each entry takes at least 10 bytes: NUL, count, type.
  if (static_cast<uint64_t>(size) > in.remaining() / 10) {
    return Truncated(in, "dictionary");
  }
  for (int32_t i = 0; i < size; ++i) {
    auto word = in.ReadCString();
    auto count = in.Read<int64_t>();
    auto type = in.Read<int8_t>();
    if (!word || !count || !type) return Truncated(in, "dictionary");
    const int8_t expected = i < nwords ? 0 : 1;
    if (*type != expected) {
      return "dictionary entry " + std::to_string(i) + " has type " +
             std::to_string(*type) + "; entries 0-" +
             std::to_string(nwords - 1) +
             " must be words (0), the rest "
             "labels (1)" +
             At(in);
    }
    if (*count < 0 || *count >= kMaxCount) {
      return "dictionary entry " + std::to_string(i) + " has count " +
             std::to_string(*count) + At(in);
    }
  }
  return "";
}

// The dictionary's `prune_size` (hash bucket, row) pairs; the highest row
// goes to `shape`, whose input matrix must hold it.
std::string CheckPrunedNgrams(Reader& in, int64_t prune_size,
                              ModelShape* shape) {
  if (static_cast<uint64_t>(prune_size) > in.remaining() / 8) {
    return Truncated(in, "dictionary's pruned n-grams");
  }
  for (int64_t i = 0; i < prune_size; ++i) {
    in.Read<int32_t>();  // Hash bucket: only compared.
    const int32_t row = *in.Read<int32_t>();
    if (row < 0) {
      return "a pruned n-gram maps to row " + std::to_string(row) + At(in);
    }
    shape->max_pruned_row = std::max<int64_t>(shape->max_pruned_row, row);
  }
  return "";
}

// The dictionary (src/dictionary.cc, Dictionary::load).
std::string CheckDictionary(Reader& in, ModelShape* shape) {
  auto size = in.Read<int32_t>();
  auto nwords = in.Read<int32_t>();
  auto nlabels = in.Read<int32_t>();
  auto ntokens = in.Read<int64_t>();
  auto prune_size = in.Read<int64_t>();
  if (!size || !nwords || !nlabels || !ntokens || !prune_size) {
    return Truncated(in, "dictionary");
  }
  if (*nlabels < 1) return "the dictionary has no labels" + At(in);
  if (*nwords < 0 || int64_t{*nwords} + *nlabels != *size) {
    return "the dictionary's counts disagree: " + std::to_string(*size) +
           " entries, " + std::to_string(*nwords) + " words, " +
           std::to_string(*nlabels) + " labels" + At(in);
  }
  if (std::string problem = CheckDictionaryEntries(in, *size, *nwords);
      !problem.empty()) {
    return problem;
  }
  if (*prune_size < -1) {
    return "the dictionary's pruned n-gram count is " +
           std::to_string(*prune_size) + At(in);
  }
  shape->nwords = *nwords;
  shape->nlabels = *nlabels;
  shape->pruned = *prune_size >= 0;
  return shape->pruned ? CheckPrunedNgrams(in, *prune_size, shape) : "";
}

// The input matrix, then the output matrix, which ends the file.
std::string CheckMatrices(Reader& in, const ModelShape& shape) {
  // Input matrix: one row per word, then one per hash bucket (or per kept
  // bucket when pruned); fastText adds the two as int32.
  auto quant_input = in.ReadBool();
  if (!quant_input) return "the input matrix's quantisation flag is not 0 or 1";
  if (shape.pruned && !*quant_input) {
    return "the dictionary is pruned but the input matrix is not quantised";
  }
  const int64_t extra_rows = shape.pruned
                                 ? shape.max_pruned_row + 1
                                 : (shape.hashes ? int64_t{shape.bucket} : 0);
  const int64_t input_rows = int64_t{shape.nwords} + extra_rows;
  if (input_rows > std::numeric_limits<int32_t>::max()) {
    return "too many words and hash buckets (" + std::to_string(input_rows) +
           ")";
  }
  if (std::string problem = CheckMatrix(in, *quant_input, "input", shape.dim,
                                        input_rows, /*exact_rows=*/false);
      !problem.empty()) {
    return problem;
  }

  // Output matrix: one row per label; quantised only if the input is.
  auto qout = in.ReadBool();
  if (!qout) return "the output matrix's quantisation flag is not 0 or 1";
  if (std::string problem =
          CheckMatrix(in, *quant_input && *qout, "output", shape.dim,
                      shape.nlabels, /*exact_rows=*/true);
      !problem.empty()) {
    return problem;
  }
  if (in.remaining() != 0) {
    return std::to_string(in.remaining()) +
           " unexpected bytes after the output matrix" + At(in);
  }
  return "";
}

}  // namespace

std::string CheckFastTextModel(std::string_view bytes) {
  if (bytes.size() < kMinimumSize) {
    return "too small to be a fastText model (" + std::to_string(bytes.size()) +
           " bytes)";
  }
  Reader in(bytes);
  ModelShape shape;
  if (std::string problem = CheckHeader(in, &shape); !problem.empty()) {
    return problem;
  }
  if (std::string problem = CheckDictionary(in, &shape); !problem.empty()) {
    return problem;
  }
  return CheckMatrices(in, shape);
}

std::string CheckFastTextModelFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return "cannot open model file '" + path + "': " + std::strerror(errno);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return "model file '" + path + "' is not a regular file";
  }
  std::string problem;
  const size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    problem = CheckFastTextModel({});
  } else {
    // Mapped, not read: models can be hundreds of megabytes.
    void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      problem = std::string("cannot map it: ") + std::strerror(errno);
    } else {
      problem = CheckFastTextModel(
          std::string_view(static_cast<const char*>(data), size));
      ::munmap(data, size);
    }
  }
  ::close(fd);
  if (problem.empty()) return "";
  return "model file '" + path + "': " + problem;
}

}  // namespace classifyd::plugins
