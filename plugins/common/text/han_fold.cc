#include "text/han_fold.h"

#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>

namespace classifyd::text {
namespace {

struct HanFoldPair {
  uint32_t traditional;
  uint32_t simplified;
};

constexpr HanFoldPair kHanFold[] = {
#include "text/han_fold_table.inc"
};

constexpr int Utf8Length(uint32_t c) {
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

// What in-place folding (and the lexicon's offsets) relies on.
constexpr bool SortedAndLengthPreserving() {
  for (size_t i = 0; i < std::size(kHanFold); ++i) {
    if (Utf8Length(kHanFold[i].traditional) !=
        Utf8Length(kHanFold[i].simplified)) {
      return false;
    }
    if (i > 0 && kHanFold[i - 1].traditional >= kHanFold[i].traditional) {
      return false;
    }
  }
  return true;
}
static_assert(SortedAndLengthPreserving(),
              "the generated Han fold table must be sorted and keep UTF-8 "
              "lengths");

// Below this nothing folds (CJK Extension A starts here): ASCII, kana and
// punctuation skip the search.
constexpr uint32_t kFirstHan = 0x3400;
static_assert(kHanFold[0].traditional >= kFirstHan);

// Which of the characters from kFirstHan up to kBitsEnd (Extension A and
// the Unified Ideographs, all but a few of the table's) fold: most Han
// characters of most text do not, and a bit test answers them without the
// binary search.
constexpr uint32_t kBitsEnd = 0xA000;
using FoldBits = std::array<uint64_t, (kBitsEnd - kFirstHan + 63) / 64>;

constexpr FoldBits BuildFoldBits() {
  FoldBits bits{};
  for (const HanFoldPair& pair : kHanFold) {
    if (pair.traditional >= kBitsEnd) continue;
    const uint32_t i = pair.traditional - kFirstHan;
    bits[i / 64] |= uint64_t{1} << (i % 64);
  }
  return bits;
}
constexpr FoldBits kFoldBits = BuildFoldBits();

}  // namespace

UChar32 ToSimplifiedHan(UChar32 c) {
  if (c < static_cast<UChar32>(kFirstHan)) return c;
  if (c < static_cast<UChar32>(kBitsEnd)) {
    const uint32_t i = static_cast<uint32_t>(c) - kFirstHan;
    if ((kFoldBits[i / 64] >> (i % 64) & 1) == 0) return c;
  }
  const auto* end = std::end(kHanFold);
  const auto* it = std::lower_bound(
      std::begin(kHanFold), end, static_cast<uint32_t>(c),
      [](const HanFoldPair& p, uint32_t v) { return p.traditional < v; });
  return it != end && it->traditional == static_cast<uint32_t>(c)
             ? static_cast<UChar32>(it->simplified)
             : c;
}

size_t FoldToSimplifiedHan(std::string* utf8, icu::Edits* edits) {
  char* s = utf8->data();
  const int32_t length = static_cast<int32_t>(utf8->size());
  size_t changed = 0;
  int32_t unchanged_from = 0;  // Start of the bytes not yet in `edits`.
  for (int32_t i = 0; i < length;) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c < static_cast<UChar32>(kFirstHan)) continue;  // Also ill-formed.
    const UChar32 simplified = ToSimplifiedHan(c);
    if (simplified == c) continue;
    int32_t at = start;
    UBool error = false;
    U8_APPEND(s, at, i, simplified, error);  // Same length: fits exactly.
    (void)error;
    ++changed;
    if (edits != nullptr) {
      if (start > unchanged_from) edits->addUnchanged(start - unchanged_from);
      edits->addReplace(i - start, i - start);
      unchanged_from = i;
    }
  }
  if (edits != nullptr && changed > 0 && length > unchanged_from) {
    edits->addUnchanged(length - unchanged_from);
  }
  return changed;
}

}  // namespace classifyd::text
