#include "http/json_body.h"

#include <strings.h>

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include "classifyd/v1/json_printing.h"
#include "http/api_status.h"

namespace classifyd {
namespace {

std::string_view Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

}  // namespace

bool IsMediaType(std::string_view content_type, std::string_view media_type) {
  const std::string_view type =
      Trim(content_type.substr(0, content_type.find(';')));
  return type.size() == media_type.size() &&
         strncasecmp(type.data(), media_type.data(), type.size()) == 0;
}

grpc::Status ParseJson(std::string_view json,
                       google::protobuf::Message* message) {
  if (Trim(json).empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "empty: send a JSON " +
                            message->GetDescriptor()->name());
  }
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message);
  if (parsed.ok()) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      "not a JSON " +
                          message->GetDescriptor()->name() + ": " +
                          std::string(parsed.message()));
}

std::string PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  // Only invalid UTF-8 fails, and every string the daemon sends was
  // checked (request ids and texts) or is its own.
  if (!v1::PrintJson(message, &json, options).ok()) {
    return ErrorJson(grpc::StatusCode::INTERNAL,
                     "the response could not be printed as JSON");
  }
  return json;
}

bool ParseJsonBody(const httplib::Request& req,
                   google::protobuf::Message* message, httplib::Response& res) {
  const std::string content_type = req.get_header_value("Content-Type");
  if (!IsMediaType(content_type, "application/json")) {
    SendError(res, grpc::StatusCode::INVALID_ARGUMENT,
              "Content-Type must be application/json, not '" +
                  content_type + "'",
              415);
    return false;
  }
  const grpc::Status status = ParseJson(req.body, message);
  if (!status.ok()) {
    SendError(res, status.error_code(), "the body is " + status.error_message());
  }
  return status.ok();
}

void SendJson(const google::protobuf::Message& message,
              httplib::Response& res) {
  res.status = 200;
  res.set_content(PrintJson(message), "application/json");
}

void SendError(httplib::Response& res, grpc::StatusCode code,
               std::string_view message, int http_status) {
  res.status = http_status != 0 ? http_status : HttpStatusFor(code);
  res.set_content(ErrorJson(code, message), "application/json");
}

}  // namespace classifyd
