// API messages as JSON, in and out, in protobuf's own JSON mapping (the
// same text grpcurl and every other gRPC JSON tool reads and writes), so
// output can be fed back in. Reports that are not API messages (eval) are
// written with nlohmann::json.
#ifndef CLASSIFYD_CLIENTS_CLASSIFYCTL_JSON_TEXT_H_
#define CLASSIFYD_CLIENTS_CLASSIFYCTL_JSON_TEXT_H_

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

namespace classifyctl {

// `message` as one line of JSON (lowerCamelCase field names, fields at
// their default value omitted, uint64 as strings: the proto3 mapping).
std::string ToJson(const google::protobuf::Message& message);

// Parses `json` into `message` (cleared first). Accepts both lowerCamelCase
// and the proto field names. Unknown fields are an error unless
// `ignore_unknown_fields`. Returns an empty string or what was wrong.
std::string FromJson(std::string_view json, google::protobuf::Message* message,
                     bool ignore_unknown_fields);

}  // namespace classifyctl

#endif  // CLASSIFYD_CLIENTS_CLASSIFYCTL_JSON_TEXT_H_
