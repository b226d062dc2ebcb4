// The API's messages as JSON in protobuf's canonical mapping, printed
// straight from the message.
//
// The text is byte for byte what google::protobuf::util::
// MessageToJsonString() prints with the same options (the unit tests
// compare the two on every message of the API, filled at random, and on
// every Unicode code point). That function serialises the message and
// reads the bytes back through a type resolver whose types it rebuilds on
// every call, which made JSON most of classifyctl's time per document and
// a large part of the HTTP API's.
//
// Handles messages whose fields are scalars, strings, enums, nested
// messages and repeated fields of those, with no option set but
// `always_print_primitive_fields`: every message of the API. Anything else
// (maps, bytes, Any and the other well-known types, other options, strings
// that are not UTF-8, scores that are not finite) is handed to
// MessageToJsonString() unchanged.
//
// Thread-safe: a pure function.
#ifndef CLASSIFYD_PROTO_SUPPORT_JSON_PRINTING_H_
#define CLASSIFYD_PROTO_SUPPORT_JSON_PRINTING_H_

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <string>

namespace classifyd::v1 {

// Sets *json to `message` in JSON. Returns what MessageToJsonString()
// would: OK, or its error (only for what is handed to it).
google::protobuf::util::Status PrintJson(
    const google::protobuf::Message& message, std::string* json,
    const google::protobuf::util::JsonPrintOptions& options = {});

}  // namespace classifyd::v1

#endif  // CLASSIFYD_PROTO_SUPPORT_JSON_PRINTING_H_
