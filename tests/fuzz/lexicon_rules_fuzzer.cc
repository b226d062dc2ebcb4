// Fuzzes the lexicon plugin's rules compiler (plugins/lexicon/rules.* and
// lexicon.*): arbitrary rules text is parsed, compiled into a Hyperscan
// database and, when accepted, used to classify a few documents. Bad rules
// must be rejected with a RulesError, never crash or hang (libFuzzer's
// -timeout catches a compile that runs away).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lexicon.h"
#include "rules.h"

namespace {

// Real headlines (models/news-topics/sanity_headlines.txt) and some
// awkward text: invalid UTF-8, case folding, a long run.
constexpr std::string_view kDocuments[] = {
    "中泰缅老四国警方启动合作打击赌诈集团专项联合行动",
    "中央气象台:“苏拉”已达强台风级",
    "缅北果敢电诈犯罪集团头目被移交我方",
    "ＡＢＣ brics G20 \xff\xfe 电信诈骗 \xe4\xb8",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using classifyd::lexicon::Lexicon;
  using classifyd::lexicon::RulesError;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    Lexicon lexicon(classifyd::lexicon::ParseRules(text, "fuzz.toml"));
    for (std::string_view document : kDocuments) {
      for (const auto& result : lexicon.Classify(document, 10)) {
        if (!(result.score > 0.0f && result.score <= 1.0f) ||
            result.evidence.size() > 10) {
          std::abort();
        }
      }
    }
  } catch (const RulesError& e) {
    if (std::string_view(e.what()).empty()) std::abort();
  }
  return 0;
}
