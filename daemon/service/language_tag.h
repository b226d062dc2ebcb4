// Language tags a client gives (ClassifyRequest.language): checked and put
// in canonical form, so a document routes and reads back the same whatever
// the client's spelling.
//
// Thread-safe (pure function).
#ifndef CLASSIFYD_DAEMON_SERVICE_LANGUAGE_TAG_H_
#define CLASSIFYD_DAEMON_SERVICE_LANGUAGE_TAG_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace classifyd {

// Longest language tag a client may give.
inline constexpr size_t kMaxLanguageTagBytes = 64;

// `tag` in canonical BCP 47 form ("zh-hant" -> "zh-Hant", "EN" -> "en";
// legacy tags as ICU maps them, "i-klingon" -> "tlh"), or empty if it is
// not a well-formed tag of at most kMaxLanguageTagBytes (ICU's parser
// decides: "zh_Hant" and "en--US" are not).
std::string CanonicalLanguageTag(std::string_view tag);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_LANGUAGE_TAG_H_
