#include "http/api_status.h"

#include <absl/status/status.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

namespace classifyd {

int HttpStatusFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return 200;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE: return 400;
    case grpc::StatusCode::UNAUTHENTICATED: return 401;
    case grpc::StatusCode::PERMISSION_DENIED: return 403;
    case grpc::StatusCode::NOT_FOUND: return 404;
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::ALREADY_EXISTS: return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return 413;
    case grpc::StatusCode::CANCELLED: return 499;
    case grpc::StatusCode::UNIMPLEMENTED: return 501;
    case grpc::StatusCode::UNAVAILABLE: return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return 504;
    default: return 500;
  }
}

std::string StatusCodeName(grpc::StatusCode code) {
  // gRPC's codes are Abseil's, number for number.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

std::string ErrorJson(grpc::StatusCode code, std::string_view message) {
  // The message as a JSON string, escaped by protobuf's printer.
  google::protobuf::Value text;
  text.set_string_value(std::string(message));
  std::string quoted;
  if (!google::protobuf::util::MessageToJsonString(text, &quoted).ok()) {
    // Only a message that is not UTF-8 fails; its code still says enough.
    quoted = "\"the message is not printable as JSON\"";
  }
  return R"js({"error":{"code":")js" + StatusCodeName(code) +
         R"js(","message":)js" + quoted + "}}";
}

}  // namespace classifyd
