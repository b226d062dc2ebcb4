#include "service/language_tag.h"

#include <unicode/locid.h>

namespace classifyd {

std::string CanonicalLanguageTag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxLanguageTagBytes) return {};
  UErrorCode status = U_ZERO_ERROR;
  const icu::Locale locale = icu::Locale::forLanguageTag(
      icu::StringPiece(tag.data(), static_cast<int32_t>(tag.size())), status);
  if (U_FAILURE(status)) return {};
  std::string canonical = locale.toLanguageTag<std::string>(status);
  return U_SUCCESS(status) ? canonical : std::string();
}

}  // namespace classifyd
