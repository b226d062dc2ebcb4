// Fuzzes the fastText model verifier (plugins/fasttext/model_check.*) with
// arbitrary model files, and checks what it accepts the hard way: an
// accepted file is really loaded (from an in-memory file) and scored the
// way the plugin scores (plugins/fasttext/label_scorer.h). fastText and the
// scorer trust the file, so any crash, hang or runaway allocation in there
// is a file the verifier should have rejected. The scorer's word ids must
// also be the ones fastText's own Dictionary::getLine() gives.
#include <fasttext/densematrix.h>
#include <fasttext/fasttext.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "label_scorer.h"
#include "memfd_file.h"
#include "model_check.h"
#include "text/tokenizer.h"

namespace {

// Real headlines (models/news-topics/sanity_headlines.txt) plus words and
// characters that exercise word ids, character n-grams and word n-grams.
constexpr std::string_view kDocuments[] = {
    "中泰缅老四国警方启动合作打击赌诈集团专项联合行动",
    "中央气象台:“苏拉”已达强台风级",
    "所有A股投资者下周统一降费",
    "brics g20 gdp 2023 __label__finance </s>",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (!classifyd::plugins::CheckFastTextModel(bytes).empty()) return 0;

  const classifyd::fuzz::MemfdFile file(data, size);
  classifyd::plugins::LabelScorer scorer;
  try {
    scorer.Load(file.path(), "__label__");
  } catch (const std::exception&) {
    return 0;  // Refused cleanly, as the plugin reports it: not a finding.
  }
  const auto labels = static_cast<int32_t>(scorer.labels().size());
  auto dictionary = scorer.model().getDictionary();
  std::vector<int32_t> by_get_line;
  std::vector<int32_t> unused_labels;
  std::istringstream in;
  for (std::string_view document : kDocuments) {
    const std::vector<int32_t> words = scorer.Words(document);
    // As fastText reads a training line.
    const std::string line = classifyd::text::ToFastTextLine(document);
    by_get_line.clear();
    if (!line.empty()) {
      in.clear();
      in.str(line + "\n");
      dictionary->getLine(in, by_get_line, unused_labels);
    }
    if (words != by_get_line) std::abort();
    std::vector<classifyd::plugins::ScoredLabel> ranked;
    try {
      ranked = scorer.Rank(words, 5, 0.0f);
    } catch (const fasttext::DenseMatrix::EncounteredNaNError&) {
      continue;  // Finite weights that overflow: the plugin fails the document.
    }
    for (const auto& scored : ranked) {
      if (scored.label < 0 || scored.label >= labels) std::abort();
    }
  }
  return 0;
}
