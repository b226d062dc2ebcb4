// Request and response bodies of the HTTP/JSON API: proto messages in
// protobuf's canonical JSON mapping (lowerCamelCase names in output; the
// parser takes proto names too), and the API's error body.
//
// Thread-safe (pure functions).
#ifndef CLASSIFYD_DAEMON_HTTP_JSON_BODY_H_
#define CLASSIFYD_DAEMON_HTTP_JSON_BODY_H_

#include <google/protobuf/message.h>
#include <grpcpp/support/status.h>

#include <string>
#include <string_view>

namespace httplib {
class Request;
class Response;
}  // namespace httplib

namespace classifyd {

// True if `content_type` is `media_type`, with or without parameters
// ("application/json; charset=utf-8"), ignoring case.
bool IsMediaType(std::string_view content_type, std::string_view media_type);

// Parses `json` into `message`; OK or INVALID_ARGUMENT saying what is
// wrong (malformed JSON, unknown field, wrong type), as "not a JSON
// ClassifyRequest: ..." for the caller to prefix with what it parsed.
grpc::Status ParseJson(std::string_view json, google::protobuf::Message* message);

// `message` as one line of JSON; default values are printed too ("labels":
// []), so clients need not know the defaults.
std::string PrintJson(const google::protobuf::Message& message);

// Parses the body of `req` (which must be application/json) into
// `message`; false after answering `res` with the error (415 for another
// content type, 400 for a body that does not parse).
bool ParseJsonBody(const httplib::Request& req,
                   google::protobuf::Message* message, httplib::Response& res);

// Answers 200 with `message` as JSON.
void SendJson(const google::protobuf::Message& message, httplib::Response& res);

// Answers the error body with the HTTP status of `code`, or `http_status`
// when it is not 0.
void SendError(httplib::Response& res, grpc::StatusCode code,
               std::string_view message, int http_status = 0);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_HTTP_JSON_BODY_H_
