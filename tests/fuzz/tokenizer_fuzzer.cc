// Fuzzes the shared normaliser (NFKC, Traditional -> Simplified folding)
// and tokeniser (plugins/common/text/) with arbitrary bytes: invalid
// UTF-8, huge runs of combining marks, anything. Checks that the offset map of
// Normalize() covers exactly the input and the output, and that tokens are
// non-empty, contain no separator and are what ToFastTextLine() joins.
#include <unicode/edits.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "text/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  icu::Edits edits;
  const std::string normalized = classifyd::text::Normalize(input, &edits);
  UErrorCode status = U_ZERO_ERROR;
  icu::Edits::Iterator it = edits.getFineIterator();
  int64_t source = 0;
  int64_t destination = 0;
  while (it.next(status)) {
    source += it.oldLength();
    destination += it.newLength();
  }
  if (U_FAILURE(status) || source != static_cast<int64_t>(size) ||
      destination != static_cast<int64_t>(normalized.size())) {
    std::abort();
  }

  std::vector<std::string> tokens;
  classifyd::text::Tokenize(input, &tokens);
  std::string joined;
  for (const std::string& token : tokens) {
    if (token.empty() || token.find_first_of(" \t\n") != std::string::npos) {
      std::abort();
    }
    if (!joined.empty()) joined.push_back(' ');
    joined += token;
  }
  if (classifyd::text::ToFastTextLine(input) != joined) std::abort();
  return 0;
}
