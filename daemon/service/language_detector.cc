#include "service/language_detector.h"

// compact_lang_det.h uses FILE without including <cstdio>.
#include <absl/strings/ascii.h>
#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <cctype>
#include <cstdint>
#include <cstdio>

#include "text/han_fold.h"

namespace classifyd {
namespace {

// What the sample is written in, by character.
struct ScriptCounts {
  size_t han = 0;
  size_t traditional = 0;  // Han characters the normaliser folds.
  size_t kana = 0;
  size_t hangul = 0;
  size_t other_words = 0;  // Runs of letters of any other script.
  size_t cjk() const { return han + kana + hangul; }
};

// The longest prefix of `utf8` of at most `max` bytes that does not cut a
// character in two.
std::string_view Sample(std::string_view utf8, size_t max) {
  if (utf8.size() <= max) return utf8;
  size_t end = max;
  while (end > 0 && U8_IS_TRAIL(static_cast<uint8_t>(utf8[end]))) --end;
  return utf8.substr(0, end);
}

bool InRange(int32_t c, int32_t first, int32_t last) {
  return c >= first && c <= last;
}

CharScript ScriptOfByIcu(UChar32 c) {
  UErrorCode status = U_ZERO_ERROR;
  switch (uscript_getScript(c, &status)) {
    case USCRIPT_HAN:
      return text::ToSimplifiedHan(c) != c ? CharScript::kTraditionalHan
                                           : CharScript::kHan;
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
      return CharScript::kKana;
    case USCRIPT_HANGUL:
      return CharScript::kHangul;
    default:
      return u_isalpha(c) ? CharScript::kOtherLetter : CharScript::kOther;
  }
}

ScriptCounts CountScripts(std::string_view utf8) {
  ScriptCounts counts;
  bool in_word = false;
  const int32_t length = static_cast<int32_t>(utf8.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(utf8.data(), i, length, c);
    const CharScript script = ScriptOf(c);
    const bool letter = script == CharScript::kOtherLetter;
    if (letter && !in_word) ++counts.other_words;
    in_word = letter;
    switch (script) {
      case CharScript::kTraditionalHan:
        ++counts.traditional;
        [[fallthrough]];
      case CharScript::kHan:
        ++counts.han;
        break;
      case CharScript::kKana:
        ++counts.kana;
        break;
      case CharScript::kHangul:
        ++counts.hangul;
        break;
      default:
        break;
    }
  }
  return counts;
}

struct Cld2Guess {
  CLD2::Language language = CLD2::UNKNOWN_LANGUAGE;
  bool reliable = false;
  int cjk_percent = 0;  // Share of the text's bytes in CJK languages.
};

bool IsCjk(CLD2::Language language) {
  return language == CLD2::CHINESE || language == CLD2::CHINESE_T ||
         language == CLD2::JAPANESE || language == CLD2::KOREAN;
}

Cld2Guess AskCld2(std::string_view utf8) {
  CLD2::CLDHints hints{nullptr, nullptr, CLD2::UNKNOWN_ENCODING,
                       CLD2::UNKNOWN_LANGUAGE};
  CLD2::Language top3[3];
  int percent3[3];
  double normalized_score3[3];
  int text_bytes = 0;
  int valid_prefix_bytes = 0;
  Cld2Guess guess;
  // Best effort: a headline is far shorter than the web pages CLD2 was
  // built for, and "unknown" for all of them would help no one.
  guess.language = CLD2::ExtDetectLanguageSummaryCheckUTF8(
      utf8.data(), static_cast<int>(utf8.size()), /*is_plain_text=*/true,
      &hints, CLD2::kCLDFlagBestEffort, top3, percent3, normalized_score3,
      /*resultchunkvector=*/nullptr, &text_bytes, &guess.reliable,
      &valid_prefix_bytes);
  for (int i = 0; i < 3; ++i) {
    if (IsCjk(top3[i])) guess.cjk_percent += percent3[i];
  }
  return guess;
}

// Share of `part` in `whole`, at least `share`.
bool AtLeast(size_t part, size_t whole, double share) {
  return whole > 0 && static_cast<double>(part) >= share * whole;
}

// For text written mostly in CJK characters: the script decides, CLD2
// only breaks near-ties (a few kana or Traditional forms in Chinese text
// are quotes or names, not the language).
std::string CjkLanguage(const ScriptCounts& counts, CLD2::Language cld2) {
  const size_t cjk = counts.cjk();
  if (AtLeast(counts.hangul, cjk, 0.2) ||
      (counts.hangul > 0 && cld2 == CLD2::KOREAN)) {
    return "ko";
  }
  if (AtLeast(counts.kana, cjk, 0.2) ||
      (counts.kana > 0 && cld2 == CLD2::JAPANESE)) {
    return "ja";
  }
  if (counts.han == 0) return std::string(kUndeterminedLanguage);
  // Simplified text has next to no characters that fold (a 著 now and
  // then); Traditional text has one in five or more.
  const bool traditional =
      AtLeast(counts.traditional, counts.han, 0.10) ||
      (AtLeast(counts.traditional, counts.han, 0.05) &&
       cld2 == CLD2::CHINESE_T);
  return traditional ? "zh-Hant" : "zh-Hans";
}

// Whether CjkLanguage() could answer differently depending on CLD2's guess
// for text it is given: only when hangul or kana are present without
// deciding, or the share of Traditional forms is in the band where CLD2
// breaks the tie. Most Chinese text is decided by its script alone, and
// skipping CLD2 for it saves a third of the detection's time.
bool CjkNeedsCld2(const ScriptCounts& counts) {
  const size_t cjk = counts.cjk();
  if (counts.hangul > 0 && !AtLeast(counts.hangul, cjk, 0.2)) return true;
  if (AtLeast(counts.hangul, cjk, 0.2)) return false;  // "ko" either way.
  if (counts.kana > 0 && !AtLeast(counts.kana, cjk, 0.2)) return true;
  if (AtLeast(counts.kana, cjk, 0.2) || counts.han == 0) return false;
  return AtLeast(counts.traditional, counts.han, 0.05) &&
         !AtLeast(counts.traditional, counts.han, 0.10);
}

// CLD2's code as a BCP 47 tag; "und" for its pseudo-languages.
std::string ToBcp47(CLD2::Language language) {
  const std::string code = CLD2::LanguageCode(language);
  if (code.empty() || code == "un" || code == "xxx" ||
      code.rfind("xx-", 0) == 0 || code.rfind("zz", 0) == 0 ||
      code == "tlh") {
    return std::string(kUndeterminedLanguage);
  }
  if (code == "iw") return "he";  // CLD2 keeps ISO 639's withdrawn codes.
  if (code == "jw") return "jv";
  if (code == "zh") return "zh-Hans";
  return code;
}

// Text of more CJK characters than words of other scripts is CJK whatever
// CLD2 says.
bool MostlyCjk(const ScriptCounts& counts) {
  return counts.cjk() > 0 && counts.cjk() >= counts.other_words;
}

}  // namespace

CharScript ScriptOf(int32_t c) {
  if (c < 0) return CharScript::kOther;
  if (c < 0x80) {
    return absl::ascii_isalpha(static_cast<unsigned char>(c))
               ? CharScript::kOtherLetter
               : CharScript::kOther;
  }
  // Blocks every character of which is of the script (Unicode 15).
  if (InRange(c, 0x4E00, 0x9FFF) || InRange(c, 0x3400, 0x4DBF)) {
    return text::ToSimplifiedHan(c) != c ? CharScript::kTraditionalHan
                                         : CharScript::kHan;
  }
  if (InRange(c, 0x3041, 0x3096) || InRange(c, 0x30A1, 0x30FA)) {
    return CharScript::kKana;
  }
  if (InRange(c, 0xAC00, 0xD7A3)) return CharScript::kHangul;
  return ScriptOfByIcu(c);
}

std::string DetectLanguage(std::string_view utf8) {
  const std::string_view sample = Sample(utf8, kLanguageSampleBytes);
  const ScriptCounts counts = CountScripts(sample);
  // CLD2 is asked only if it could change the answer.
  const bool mostly_cjk = MostlyCjk(counts);
  if (mostly_cjk && !CjkNeedsCld2(counts)) {
    return CjkLanguage(counts, CLD2::UNKNOWN_LANGUAGE);
  }
  const Cld2Guess cld2 = AskCld2(sample);
  const bool cld2_cjk = IsCjk(cld2.language);
  // A CJK character carries about as much as a word of other scripts. A
  // Chinese headline full of product and team names ("今晚CPL2011 XiaoKai
  // vs WE.wfz") has more Latin words than characters, but CLD2 cannot call
  // it English much more than CJK, while in English text quoting a Chinese
  // name the name is a small share of the bytes.
  const bool mixed_cjk = counts.cjk() >= 2 && cld2.cjk_percent >= 20;
  if (mostly_cjk || (counts.cjk() > 0 && (cld2_cjk || mixed_cjk))) {
    return CjkLanguage(counts, cld2.language);
  }
  if (!cld2.reliable) return std::string(kUndeterminedLanguage);
  return ToBcp47(cld2.language);
}

std::string PrimaryLanguage(std::string_view tag) {
  std::string primary(tag.substr(0, tag.find('-')));
  for (char& c : primary) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return primary;
}

}  // namespace classifyd
