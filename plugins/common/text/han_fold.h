// Folds Traditional Chinese characters to their Simplified forms, so that
// a model or a rules file written in one script also reads the other
// ("電信詐騙" is "电信诈骗").
//
// The mapping is ICU's "Traditional-Simplified" transliterator, applied
// character by character at build time (han_fold_gen.cc) and compiled in as
// a sorted table of about 2,900 pairs: a lookup per character instead of a
// transliterator call per document. Character by character means no
// context: a character with one Simplified form per sense (e.g. 著, which
// Simplified text also writes in 著名) always folds the same way, on both
// sides of a comparison.
//
// Every pair keeps its UTF-8 length (the generator drops any other, and
// han_fold.cc checks the table at compile time), so folding never moves a
// byte offset.
//
// Thread-safe: all functions are reentrant.
#ifndef CLASSIFYD_PLUGINS_COMMON_TEXT_HAN_FOLD_H_
#define CLASSIFYD_PLUGINS_COMMON_TEXT_HAN_FOLD_H_

#include <unicode/edits.h>
#include <unicode/umachine.h>

#include <cstddef>
#include <string>

namespace classifyd::text {

// The Simplified form of `c` if it is a Traditional character that ICU
// folds, else `c` itself.
UChar32 ToSimplifiedHan(UChar32 c);

// Replaces, in place, every character of `utf8` that ToSimplifiedHan()
// changes. Returns how many it replaced. When `edits` is not null and
// something changed, it receives the replacements (ICU fine-grained edits,
// byte offsets, same lengths). Invalid UTF-8 is left as it is.
size_t FoldToSimplifiedHan(std::string* utf8, icu::Edits* edits = nullptr);

}  // namespace classifyd::text

#endif  // CLASSIFYD_PLUGINS_COMMON_TEXT_HAN_FOLD_H_
