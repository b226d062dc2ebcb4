#include "json_text.h"

#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <cstdio>

namespace classifyctl {

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  // Cannot fail for a message of a generated type.
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

std::string FromJson(std::string_view json, google::protobuf::Message* message,
                     bool ignore_unknown_fields) {
  message->Clear();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = ignore_unknown_fields;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message,
      options);
  if (status.ok()) return "";
  std::string error(status.message().data(), status.message().size());
  // The parser appends the offending text and a caret on further lines;
  // a document can be megabytes long, so keep only the first line.
  error = error.substr(0, error.find('\n'));
  return error.empty() ? "invalid JSON" : error;
}

std::string JsonQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(c);  // UTF-8 passes through.
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string JsonNumber(double value, int digits) {
  if (!std::isfinite(value)) return "0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  std::string out(buf);
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  if (out == "-0") return "0";
  return out;
}

}  // namespace classifyctl
