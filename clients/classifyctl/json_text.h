// JSON in and out. API messages use protobuf's own JSON mapping (the same
// text grpcurl and every other gRPC JSON tool reads and writes), so output
// can be fed back in and no second JSON library is needed. Reports that are
// not API messages (eval) are written with the small helpers below.
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

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view text);

// `value` as a JSON number with up to `digits` decimals (trailing zeros
// trimmed); NaN and infinities, which JSON lacks, as 0.
std::string JsonNumber(double value, int digits = 6);

}  // namespace classifyctl

#endif  // CLASSIFYD_CLIENTS_CLASSIFYCTL_JSON_TEXT_H_
