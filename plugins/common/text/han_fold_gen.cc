// Build-time generator of the Traditional -> Simplified fold table that
// han_fold.cc compiles in (see han_fold.h).
//
//   classifyd_han_fold_gen OUTPUT.inc
//
// Asks ICU's "Traditional-Simplified" transliterator about each Han
// codepoint, one at a time, and writes the pairs where the answer is a
// single different codepoint as C++ initialisers, sorted by codepoint. A
// transliterator call per document costs microseconds; a table lookup per
// character costs nanoseconds, and the table is fixed once ICU's data is.
// Only pairs of the same UTF-8 length are kept (all of them, with ICU 72),
// so folding never moves a byte offset; any other is reported and left
// out rather than break that.
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>
#include <unicode/uvernum.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

namespace {

// CJK Unified Ideographs, Extension A, and Extensions B to H.
constexpr UChar32 kHanRanges[][2] = {
    {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0x20000, 0x323AF}};

// The single codepoint `c` transliterates to, or -1 if none or several.
UChar32 Transliterate(const icu::Transliterator& to_simplified, UChar32 c) {
  icu::UnicodeString text(c);
  to_simplified.transliterate(text);
  return text.countChar32() == 1 ? text.char32At(0) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: classifyd_han_fold_gen OUTPUT.inc\n";
    return 2;
  }
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::Transliterator> to_simplified(
      icu::Transliterator::createInstance("Traditional-Simplified",
                                          UTRANS_FORWARD, status));
  if (U_FAILURE(status) || to_simplified == nullptr) {
    std::cerr << "classifyd_han_fold_gen: ICU has no Traditional-Simplified "
                 "transliterator: "
              << u_errorName(status) << "\n";
    return 1;
  }
  std::ofstream out(argv[1], std::ios::trunc);
  out << "// Generated at build time by classifyd_han_fold_gen from ICU "
      << U_ICU_VERSION
      << "'s Traditional-Simplified transliterator. Do not edit.\n";
  int pairs = 0;
  for (const auto& [first, last] : kHanRanges) {
    for (UChar32 c = first; c <= last; ++c) {
      if (!u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC)) continue;
      const UChar32 simplified = Transliterate(*to_simplified, c);
      if (simplified < 0 || simplified == c) continue;
      if (U8_LENGTH(simplified) != U8_LENGTH(c)) {
        std::cerr << "classifyd_han_fold_gen: left out U+" << std::hex << c
                  << " -> U+" << simplified << std::dec
                  << ": the UTF-8 lengths differ\n";
        continue;
      }
      char line[48];
      std::snprintf(line, sizeof line, "{0x%05X, 0x%05X},\n",
                    static_cast<unsigned>(c), static_cast<unsigned>(simplified));
      out << line;
      ++pairs;
    }
  }
  out.close();
  if (!out || pairs == 0) {
    std::cerr << "classifyd_han_fold_gen: cannot write " << argv[1]
              << (pairs == 0 ? " (no pairs: is ICU's data complete?)" : "")
              << "\n";
    return 1;
  }
  return 0;
}
