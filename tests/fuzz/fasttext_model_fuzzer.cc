// Fuzzes the fastText model verifier (plugins/fasttext/model_check.*) with
// arbitrary model files, and checks what it accepts the hard way: an
// accepted file is really loaded by fastText (from an in-memory file) and
// used for predictions the way the plugin uses it. fastText trusts its
// input, so any crash, hang or runaway allocation in there is a file the
// verifier should have rejected.
#include <fasttext/fasttext.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

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
  fasttext::FastText model;
  try {
    model.loadModel(file.path());
  } catch (const std::exception&) {
    return 0;  // Refused cleanly, as the plugin reports it: not a finding.
  }
  auto dictionary = model.getDictionary();
  for (int32_t i = 0; i < dictionary->nlabels(); ++i) {
    (void)dictionary->getLabel(i);
  }
  // As the plugin classifies (plugins/fasttext/fasttext_plugin.cc).
  std::vector<int32_t> words;
  std::vector<int32_t> labels;
  fasttext::Predictions predictions;
  std::istringstream in;
  for (std::string_view document : kDocuments) {
    std::string line = classifyd::text::ToFastTextLine(document);
    line.push_back('\n');
    in.clear();
    in.str(line);
    words.clear();
    labels.clear();
    dictionary->getLine(in, words, labels);
    predictions.clear();
    model.predict(5, words, predictions, 0.0f);
    for (const auto& [log_probability, label] : predictions) {
      if (label < 0 || label >= dictionary->nlabels()) std::abort();
      (void)log_probability;
    }
  }
  return 0;
}
