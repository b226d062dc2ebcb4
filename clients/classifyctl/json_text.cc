#include "json_text.h"

#include <google/protobuf/util/json_util.h>

#include "classifyd/v1/json_printing.h"

namespace classifyctl {

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  // Cannot fail for a message of a generated type whose strings are UTF-8,
  // which the daemon's are.
  (void)classifyd::v1::PrintJson(message, &out);
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

}  // namespace classifyctl
