// How the HTTP/JSON API reports a failed call: the gRPC status code the
// same call gets over gRPC, as the matching HTTP status and the JSON body
// {"error": {"code": "INVALID_ARGUMENT", "message": "..."}}.
//
// Thread-safe (pure functions).
#ifndef CLASSIFYD_DAEMON_HTTP_API_STATUS_H_
#define CLASSIFYD_DAEMON_HTTP_API_STATUS_H_

#include <grpcpp/support/status.h>

#include <string>
#include <string_view>

namespace classifyd {

// The HTTP status of a call that ends with `code`: 200 for OK, 400 for
// INVALID_ARGUMENT, FAILED_PRECONDITION and OUT_OF_RANGE, 404 NOT_FOUND,
// 413 RESOURCE_EXHAUSTED (the only cause in this API: a document or body
// over a size limit), 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED, and the
// usual others (google.rpc.Code's documented mapping).
int HttpStatusFor(grpc::StatusCode code);

// "INVALID_ARGUMENT" for 3, and so on.
std::string StatusCodeName(grpc::StatusCode code);

// The error body: {"error": {"code": NAME, "message": MESSAGE}}.
std::string ErrorJson(grpc::StatusCode code, std::string_view message);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_HTTP_API_STATUS_H_
