// The labelled data classifyd-train reads, and the fastText training file it
// writes from it.
//
// Input: UTF-8 TSV, one document per line, `label[,label...]<TAB>text`.
// Labels are bare taxonomy names ("finance", [a-z0-9_-]); the model stores
// them as "__label__finance". Blank lines are skipped; anything else
// malformed is an error that names the file and line.
//
// Thread-safe (no shared state).
#ifndef CLASSIFYD_MODELS_TOOLS_TSV_DATA_H_
#define CLASSIFYD_MODELS_TOOLS_TSV_DATA_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace classifyd::train {

inline constexpr std::string_view kLabelPrefix = "__label__";

struct Example {
  std::vector<std::string> labels;  // Distinct, in file order.
  std::string text;
};

// Reads `label[,label...]<TAB>text` lines. Throws std::runtime_error naming
// the file and line of the first malformed line.
std::vector<Example> ReadTsv(const std::string& path);

struct TokenizeStats {
  int64_t rows = 0;
  int64_t written = 0;
  int64_t empty = 0;  // Rows whose text has no token; skipped.
  int64_t tokens = 0;
};

// Writes `examples` in fastText's supervised format, tokenised by the
// serving tokeniser (text::ToFastTextLine):
//   __label__a __label__b tok tok ...
// Throws std::runtime_error when `path` cannot be written.
TokenizeStats WriteFastTextFile(const std::vector<Example>& examples,
                                const std::string& path);

}  // namespace classifyd::train

#endif  // CLASSIFYD_MODELS_TOOLS_TSV_DATA_H_
