#include "text/tokenizer.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <cstdint>
#include <string_view>
#include <utility>

#include "text/han_fold.h"

namespace classifyd::text {
namespace {

const icu::Normalizer2* NfkcCasefold() {
  // ICU owns the instance; it is immutable and thread-safe.
  static const icu::Normalizer2* const instance = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n =
        icu::Normalizer2::getNFKCCasefoldInstance(status);
    return U_SUCCESS(status) ? n : nullptr;
  }();
  return instance;
}

// At most this many characters in a row without a normalisation boundary
// (the bound of Unicode's Stream-Safe Text Format, UAX #15 section 13). ICU
// sorts the combining marks of such a run by insertion, so without a cap a
// document of nothing but alternating marks (U+0301 U+0316 ...) takes time
// quadratic in its length: minutes for a few hundred kilobytes. No real
// text comes near it, so the rest of such a run is dropped. (UAX #15 inserts
// U+034F instead, but nfkc_cf deletes that, so for ICU it ends no run.)
constexpr int kMaxRunWithoutBoundary = 30;

// If `utf8` has a run longer than kMaxRunWithoutBoundary, returns true with
// `capped` set to `utf8` without the characters past the cap, and `edits`
// (if not null) to the mapping.
bool CapRunsWithoutBoundary(const icu::Normalizer2& normalizer,
                            std::string_view utf8, std::string* capped,
                            icu::Edits* edits) {
  const char* s = utf8.data();
  const int32_t length = static_cast<int32_t>(utf8.size());
  int32_t kept = 0;  // `utf8` is copied to `capped` up to here.
  bool dropped = false;
  int run = 0;
  for (int32_t i = 0; i < length;) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c < 0x80 || normalizer.hasBoundaryBefore(c)) {  // Ill-formed: < 0.
      run = 0;
      continue;
    }
    if (++run <= kMaxRunWithoutBoundary) continue;
    // Drop [start, i): copy what precedes it.
    capped->append(s + kept, start - kept);
    if (edits != nullptr) {
      if (start > kept) edits->addUnchanged(start - kept);
      edits->addReplace(i - start, 0);
    }
    kept = i;
    dropped = true;
  }
  if (!dropped) return false;
  capped->append(s + kept, length - kept);
  if (edits != nullptr && length > kept) edits->addUnchanged(length - kept);
  return true;
}

// NFKC with case folding into *normalized, with the mapping onto `utf8`
// in *edits (if not null). False if ICU failed.
bool NormalizeNfkcCasefold(std::string_view utf8, std::string* normalized,
                           icu::Edits* edits) {
  const icu::Normalizer2* normalizer = NfkcCasefold();
  if (normalizer == nullptr) return false;
  std::string capped;
  icu::Edits cap_edits;
  const bool cut = CapRunsWithoutBoundary(
      *normalizer, utf8, &capped, edits != nullptr ? &cap_edits : nullptr);
  const std::string_view input = cut ? std::string_view(capped) : utf8;
  icu::Edits normalize_edits;
  UErrorCode status = U_ZERO_ERROR;
  icu::StringByteSink<std::string> sink(normalized,
                                        static_cast<int32_t>(input.size()));
  normalizer->normalizeUTF8(
      0, icu::StringPiece(input.data(), static_cast<int32_t>(input.size())),
      sink, cut ? &normalize_edits : edits, status);
  if (cut && edits != nullptr && U_SUCCESS(status)) {
    // original -> capped -> normalised.
    edits->reset();
    edits->mergeAndAppend(cap_edits, normalize_edits, status);
  }
  if (U_FAILURE(status)) normalized->clear();
  return U_SUCCESS(status);
}

// Folds the Traditional characters of `normalized` to Simplified ones (see
// han_fold.h) and appends that step to `edits` (original -> normalised).
void FoldTraditional(std::string* normalized, icu::Edits* edits) {
  if (edits == nullptr) {
    FoldToSimplifiedHan(normalized);
    return;
  }
  icu::Edits fold_edits;
  if (FoldToSimplifiedHan(normalized, &fold_edits) == 0) return;
  icu::Edits merged;
  UErrorCode status = U_ZERO_ERROR;
  merged.mergeAndAppend(*edits, fold_edits, status);
  // Folding keeps every character's length, so if ICU cannot merge (out of
  // memory), `edits` still maps every offset right; it only misses that the
  // folded characters changed.
  if (U_SUCCESS(status)) *edits = std::move(merged);
}

enum class CharClass { kSeparator, kStandalone, kWordPart };

CharClass Classify(UChar32 c) {
  if (c < 0x80) {  // ASCII fast path.
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9')) {
      return CharClass::kWordPart;
    }
    return CharClass::kSeparator;
  }
  if (u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC)) return CharClass::kStandalone;
  UErrorCode status = U_ZERO_ERROR;
  UScriptCode script = uscript_getScript(c, &status);
  if (U_SUCCESS(status) &&
      (script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA ||
       script == USCRIPT_HANGUL)) {
    return CharClass::kStandalone;
  }
  if (u_isalnum(c) || (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0) {
    return CharClass::kWordPart;
  }
  return CharClass::kSeparator;
}

// Normalises `utf8` and calls `emit(token)` for each token, in order.
template <typename Emit>
void ForEachToken(std::string_view utf8, Emit&& emit) {
  const std::string normalized = Normalize(utf8);
  const char* s = normalized.data();
  const int32_t length = static_cast<int32_t>(normalized.size());
  int32_t i = 0;
  int32_t word_start = -1;  // Start of the current word run, or -1.
  while (i < length) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, length, c);
    const CharClass cls = c < 0 ? CharClass::kSeparator : Classify(c);
    if (cls == CharClass::kWordPart) {
      if (word_start < 0) word_start = start;
      continue;
    }
    if (word_start >= 0) {
      emit(std::string_view(s + word_start, start - word_start));
      word_start = -1;
    }
    if (cls == CharClass::kStandalone) {
      emit(std::string_view(s + start, i - start));
    }
  }
  if (word_start >= 0) {
    emit(std::string_view(s + word_start, length - word_start));
  }
}

}  // namespace

std::string Normalize(std::string_view utf8, icu::Edits* edits) {
  std::string normalized;
  if (NormalizeNfkcCasefold(utf8, &normalized, edits)) {
    FoldTraditional(&normalized, edits);
    return normalized;
  }
  normalized.assign(utf8);
  if (edits != nullptr) {
    // The identity mapping. (ICU's edits are undefined after a failure.)
    edits->reset();
    if (!utf8.empty()) edits->addUnchanged(static_cast<int32_t>(utf8.size()));
  }
  return normalized;
}

void Tokenize(std::string_view utf8, std::vector<std::string>* tokens) {
  ForEachToken(utf8,
               [&](std::string_view token) { tokens->emplace_back(token); });
}

std::string ToFastTextLine(std::string_view utf8) {
  std::string line;
  line.reserve(utf8.size() + utf8.size() / 2);
  ForEachToken(utf8, [&](std::string_view token) {
    if (!line.empty()) line.push_back(' ');
    line.append(token);
  });
  return line;
}

}  // namespace classifyd::text
