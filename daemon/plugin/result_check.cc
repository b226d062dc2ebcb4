#include "plugin/result_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace classifyd {
namespace {

std::string BadSequenceAt(size_t offset) {
  return "bad byte sequence at offset " + std::to_string(offset);
}

// Where the last character that fits in `max` bytes of `text` ends: `max`,
// or less when a multi-byte character straddles it.
size_t CharacterBoundary(std::string_view text, size_t max) {
  if (text.size() <= max) return text.size();
  size_t end = max;
  // Back over the continuation bytes of the straddling character to its
  // first byte (a character has at most 3 of them).
  for (int i = 0; i < 3 && end > 0 &&
                  (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80;
       ++i) {
    --end;
  }
  return (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80 ? max : end;
}

// What is wrong with a label name, whether declared or given: empty if
// nothing.
std::string LabelNameProblem(const char* data, size_t size) {
  if (data == nullptr && size > 0) return "a label with a null pointer";
  if (size == 0) return "an empty label";
  if (size > kMaxLabelBytes) {
    return fmt::format("a label of {} bytes (at most {})", size,
                       kMaxLabelBytes);
  }
  if (std::string problem = Utf8Problem({data, size}); !problem.empty()) {
    return "a label that is not valid UTF-8 (" + problem + ")";
  }
  return {};
}

}  // namespace

std::string Utf8Problem(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char b = s[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    // Well-formed sequences, Unicode 15 table 3-7: the first byte decides
    // the length and the range of the second byte (which rules out
    // overlong forms, surrogates and code points above U+10FFFF).
    size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      length = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      length = 3;
      if (b == 0xE0) low = 0xA0;
      if (b == 0xED) high = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      length = 4;
      if (b == 0xF0) low = 0x90;
      if (b == 0xF4) high = 0x8F;
    } else {
      return BadSequenceAt(i);
    }
    if (n - i < length || s[i + 1] < low || s[i + 1] > high) {
      return BadSequenceAt(i);
    }
    for (size_t k = 2; k < length; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return BadSequenceAt(i);
    }
    i += length;
  }
  return {};
}

std::string DeclaredLabels::Add(const char* data, size_t size) {
  if (std::string problem = LabelNameProblem(data, size); !problem.empty()) {
    return problem;
  }
  const std::string_view label(data, size);
  auto at = std::lower_bound(sorted_.begin(), sorted_.end(), label);
  if (at != sorted_.end() && *at == label) return {};
  if (names_.size() == kMaxDeclaredLabels) {
    return fmt::format("more than {} labels", kMaxDeclaredLabels);
  }
  sorted_.emplace(at, label);
  names_.emplace_back(label);
  return {};
}

const std::string* DeclaredLabels::Find(std::string_view label) const {
  auto at = std::lower_bound(sorted_.begin(), sorted_.end(), label);
  return at != sorted_.end() && *at == label ? &*at : nullptr;
}

std::string CheckLabel(const char* label, size_t label_size, float score,
                       const classifyd_string* evidence, size_t evidence_count,
                       const DeclaredLabels& declared, DocumentTally* tally,
                       std::string_view* declared_name) {
  if (tally->labels == kMaxLabelsPerDocument) {
    return fmt::format("more than {} labels for one document",
                       kMaxLabelsPerDocument);
  }
  if (std::string problem = LabelNameProblem(label, label_size);
      !problem.empty()) {
    return problem;
  }
  const std::string_view name(label, label_size);
  // The name is short and valid UTF-8 from here on, so messages may quote it.
  const std::string* declared_copy = declared.Find(name);
  if (declared_copy == nullptr) {
    return fmt::format(
        "label '{}', which it did not declare (list_labels() must report "
        "every label an instance can emit)",
        name);
  }
  if (!std::isfinite(score) || score < 0.0f || score > 1.0f) {
    return fmt::format(
        "a score of {} for label '{}' (scores must be in [0, 1])", score, name);
  }
  if (evidence == nullptr && evidence_count > 0) {
    return fmt::format("a null evidence list of {} strings for label '{}'",
                       evidence_count, name);
  }
  if (evidence_count > kMaxEvidencePerLabel) {
    return fmt::format("{} evidence strings for label '{}' (at most {})",
                       evidence_count, name, kMaxEvidencePerLabel);
  }
  size_t bytes = tally->evidence_bytes;
  for (size_t i = 0; i < evidence_count; ++i) {
    const classifyd_string& e = evidence[i];
    if (e.data == nullptr && e.size > 0) {
      return fmt::format(
          "an evidence string with a null pointer for label "
          "'{}'",
          name);
    }
    if (e.size > kMaxEvidenceBytes) {
      return fmt::format(
          "an evidence string of {} bytes for label '{}' (at most {})", e.size,
          name, kMaxEvidenceBytes);
    }
    bytes += e.size;
    if (bytes > kMaxEvidenceBytesPerDocument) {
      return fmt::format("more than {} bytes of evidence for one document",
                         kMaxEvidenceBytesPerDocument);
    }
    if (std::string problem = Utf8Problem({e.data, e.size}); !problem.empty()) {
      return fmt::format(
          "an evidence string that is not valid UTF-8 for label '{}' ({})",
          name, problem);
    }
  }
  ++tally->labels;
  tally->evidence_bytes = bytes;
  *declared_name = *declared_copy;
  return {};
}

PluginMessage CheckMessage(const char* data, size_t size) {
  PluginMessage message;
  if (data == nullptr) {
    if (size > 0) message.problem = "an error message with a null pointer";
    return message;
  }
  const std::string_view whole(data, size);
  const std::string_view kept =
      whole.substr(0, CharacterBoundary(whole, kMaxMessageBytes));
  if (std::string problem = Utf8Problem(kept); !problem.empty()) {
    message.problem =
        "an error message that is not valid UTF-8 (" + problem + ")";
    return message;
  }
  message.text = kept;
  if (kept.size() < size) {
    message.text += fmt::format("… (cut from {} bytes)", size);
  }
  return message;
}

std::string StatusProblem(int code) {
  if (code >= CLASSIFYD_CANCELLED && code <= CLASSIFYD_UNAUTHENTICATED) {
    return {};
  }
  return fmt::format("status code {}, which is not a gRPC status code", code);
}

}  // namespace classifyd
