// Tells which language a document is in, as a BCP 47 tag, so the engine
// can run each classifier only on the languages it covers (manifest
// `languages`).
//
// CLD2 (the detector Chromium used) scores the text. It is built for web
// pages and often mistakes a short Chinese headline for Japanese or for
// Traditional Chinese, so for text written mostly in CJK characters the
// script decides instead: kana make it Japanese, hangul Korean, otherwise
// it is Chinese, and Traditional when enough of its Han characters are
// Traditional forms (those the shared normaliser folds, text/han_fold.h).
// Measured on every sib200 sentence of zho_Hans, zho_Hant, yue_Hant and
// eng_Latn (4,016) and the 2,000 headlines of bench/data: two documents
// wrong (one Cantonese sentence and one headline given the other Chinese
// script), where CLD2 alone gets 49 of the headlines wrong, mostly as
// Japanese or Traditional Chinese.
//
// Thread-safe: a pure function (CLD2 keeps no state between calls).
#ifndef CLASSIFYD_DAEMON_SERVICE_LANGUAGE_DETECTOR_H_
#define CLASSIFYD_DAEMON_SERVICE_LANGUAGE_DETECTOR_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace classifyd {

// Only this many bytes from the start of a document are examined (cut at
// a character boundary): the language of a news story shows in its first
// paragraphs, and detection must cost the same for a 1 MiB document.
inline constexpr size_t kLanguageSampleBytes = 4096;

// What a document that cannot be told is tagged.
inline constexpr std::string_view kUndeterminedLanguage = "und";

// The language of `utf8`: "zh-Hans", "zh-Hant", "en", "ja", "ko", "ru"...,
// or "und" when it cannot tell (no letters, too little text, a language
// CLD2 does not know, or an unreliable guess outside CJK). Invalid UTF-8
// after a valid prefix is ignored.
std::string DetectLanguage(std::string_view utf8);

// What DetectLanguage()'s script count makes of one character. Exposed
// for its tests.
enum class CharScript : uint8_t {
  kOther,           // Not a letter (digits, punctuation, spaces, marks).
  kOtherLetter,     // A letter of a script other than the ones below.
  kHan,             // A Han character the normaliser leaves as it is.
  kTraditionalHan,  // A Han character it folds (text/han_fold.h).
  kKana,            // Hiragana or katakana.
  kHangul,
};

// ICU's script and letter properties of `c` (a code point, or negative
// for a byte sequence that is none), read from a few ranges for the
// characters most text is made of (ASCII, the Han of the Basic
// Multilingual Plane, kana, hangul syllables) and from ICU for the rest.
CharScript ScriptOf(int32_t c);

// The primary language subtag of a BCP 47 tag, lower-cased: "zh" for
// "zh-Hant", "en" for "en".
std::string PrimaryLanguage(std::string_view tag);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_LANGUAGE_DETECTOR_H_
