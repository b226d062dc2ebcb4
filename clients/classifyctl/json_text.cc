#include "json_text.h"

#include <google/protobuf/util/json_util.h>


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

}  // namespace classifyctl
