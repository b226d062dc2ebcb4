#include "service/request_validation.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "service/language_tag.h"

namespace classifyd {

namespace {

// Offset of the first byte sequence of `s` that is not UTF-8, or -1.
int64_t FirstInvalidUtf8(std::string_view s) {
  const int32_t length = static_cast<int32_t>(s.size());
  for (int32_t i = 0; i < length;) {
    const int32_t at = i;
    UChar32 c;
    U8_NEXT(s.data(), i, length, c);
    if (c < 0) return at;
  }
  return -1;
}

grpc::Status BadUtf8(const std::string& field, int64_t at) {
  return {grpc::StatusCode::INVALID_ARGUMENT,
          field + " is not valid UTF-8 (bad byte sequence at offset " +
              std::to_string(at) + ")"};
}

grpc::Status CheckUtf8(std::string_view value, const std::string& field) {
  const int64_t at = FirstInvalidUtf8(value);
  return at < 0 ? grpc::Status::OK : BadUtf8(field, at);
}

// The status for a language tag CanonicalLanguageTag() refuses; the tag
// is quoted only when it is short printable ASCII, as every tag is.
grpc::Status BadLanguage(std::string_view tag) {
  const bool printable = tag.size() <= kMaxLanguageTagBytes &&
                         std::all_of(tag.begin(), tag.end(), [](char c) {
                           return c > ' ' && c < 0x7f;
                         });
  return {grpc::StatusCode::INVALID_ARGUMENT,
          (printable ? "language '" + std::string(tag) + "'"
                     : std::string("language")) +
              " is not a well-formed BCP 47 tag (e.g. \"en\", \"zh-Hant\")"};
}

}  // namespace

bool IsValidUtf8(std::string_view s) { return FirstInvalidUtf8(s) < 0; }

grpc::Status ValidateText(std::string_view text) {
  if (text.empty()) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "text is empty"};
  }
  // One pass: a bad byte sequence anywhere is reported before a NUL, as a
  // separate UTF-8 check first would.
  const char* s = text.data();
  const int32_t length = static_cast<int32_t>(text.size());
  int64_t first_nul = -1;
  bool blank = true;
  for (int32_t i = 0; i < length;) {
    const int32_t at = i;
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c < 0) return BadUtf8("text", at);
    if (c == 0 && first_nul < 0) first_nul = at;
    if (blank && !u_isUWhiteSpace(c) && !u_iscntrl(c)) blank = false;
  }
  if (first_nul >= 0) {
    return {
        grpc::StatusCode::INVALID_ARGUMENT,
        "text contains a NUL character at offset " + std::to_string(first_nul)};
  }
  if (blank) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            "text contains only whitespace"};
  }
  return grpc::Status::OK;
}

grpc::Status ValidateRequest(const v1::ClassifyRequest& request,
                             const ServiceLimits& limits,
                             std::string* language) {
  if (request.text().size() > limits.max_document_bytes) {
    return {grpc::StatusCode::RESOURCE_EXHAUSTED,
            "text is " + std::to_string(request.text().size()) +
                " bytes, over the limit of " +
                std::to_string(limits.max_document_bytes) +
                " bytes (max_document_bytes)"};
  }
  if (request.id().size() > limits.max_id_bytes) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            "id is " + std::to_string(request.id().size()) +
                " bytes, over the limit of " +
                std::to_string(limits.max_id_bytes) + " bytes"};
  }
  if (grpc::Status bad = CheckUtf8(request.id(), "id"); !bad.ok()) return bad;
  for (int i = 0; i < request.plugins_size(); ++i) {
    grpc::Status bad =
        CheckUtf8(request.plugins(i), "plugins[" + std::to_string(i) + "]");
    if (!bad.ok()) return bad;
  }
  if (request.top_k() > limits.max_top_k) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            "top_k is " + std::to_string(request.top_k()) +
                "; it must be at most " + std::to_string(limits.max_top_k)};
  }
  if (request.has_min_score()) {
    const float m = request.min_score();
    if (!std::isfinite(m) || m < 0.0f || m > 1.0f) {
      return {grpc::StatusCode::INVALID_ARGUMENT,
              "min_score must be in [0, 1]"};
    }
  }
  std::string canonical;
  if (!request.language().empty()) {
    canonical = CanonicalLanguageTag(request.language());
    if (canonical.empty()) return BadLanguage(request.language());
  }
  grpc::Status status = ValidateText(request.text());
  if (status.ok() && language != nullptr) *language = std::move(canonical);
  return status;
}

}  // namespace classifyd
