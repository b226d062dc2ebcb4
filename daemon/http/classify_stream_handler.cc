// POST /v1/classify:stream: JSON Lines of ClassifyRequest in, one
// ClassifyResponse line out per request line, in order, as a chunked
// response. The body is read while the response is written: each piece
// that arrives is split into lines, its complete lines are classified
// together and answered before the next piece is read, so a stream of any
// length holds one piece and one partial line in memory. A bad line is
// answered with its `error` and the stream goes on.
#include <httplib.h>

#include <memory>
#include <string>
#include <vector>

#include "http/http_api.h"
#include "http/json_body.h"
#include "http/json_lines.h"

namespace classifyd {
namespace {

bool IsJsonLinesType(std::string_view content_type) {
  return IsMediaType(content_type, "application/x-ndjson") ||
         IsMediaType(content_type, "application/jsonl") ||
         IsMediaType(content_type, "application/json");
}

void SetError(v1::ClassifyResponse* response, grpc::StatusCode code,
              const std::string& message) {
  response->mutable_error()->set_code(static_cast<int>(code));
  response->mutable_error()->set_message(message);
}

// Classifies `lines` as one batch and returns their answers, one JSON
// line each.
std::string AnswerLines(const ClassifyEngine& engine, size_t max_line_bytes,
                        const std::vector<JsonLineSplitter::Line>& lines) {
  std::vector<v1::ClassifyRequest> requests(lines.size());
  std::vector<v1::ClassifyResponse> responses(lines.size());
  std::vector<const v1::ClassifyRequest*> to_run;
  std::vector<v1::ClassifyResponse*> answers;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].too_long) {
      SetError(&responses[i], grpc::StatusCode::RESOURCE_EXHAUSTED,
               "line is over " + std::to_string(max_line_bytes) +
                   " bytes (twice max_document_bytes, plus 64 KiB)");
      continue;
    }
    const grpc::Status parsed = ParseJson(lines[i].text, &requests[i]);
    if (!parsed.ok()) {
      SetError(&responses[i], parsed.error_code(),
               "the line is " + parsed.error_message());
      continue;
    }
    to_run.push_back(&requests[i]);
    answers.push_back(&responses[i]);
  }
  if (!to_run.empty()) engine.Run(to_run, answers);
  std::string out;
  for (const v1::ClassifyResponse& response : responses) {
    out += PrintJson(response);
    out += '\n';
  }
  return out;
}

}  // namespace

void HttpApi::ClassifyStream(const httplib::Request& req,
                             httplib::Response& res,
                             const httplib::ContentReader& reader) const {
  const std::string content_type = req.get_header_value("Content-Type");
  if (!IsJsonLinesType(content_type)) {
    SendError(res, grpc::StatusCode::INVALID_ARGUMENT,
              "Content-Type must be application/x-ndjson (JSON Lines), not '" +
                  content_type + "'",
              415);
    return;
  }
  if (!streams_->calls.Begin(options_.max_streams)) {
    if (streams_->calls.draining()) {
      SendError(res, grpc::StatusCode::UNAVAILABLE,
                "classifyd is shutting down: no new streams; open it on "
                "another instance");
    } else {
      SendError(res, grpc::StatusCode::RESOURCE_EXHAUSTED,
                "too many streams open on this listener (at most " +
                    std::to_string(options_.max_streams) + "); retry later",
                429);
    }
    return;
  }
  const size_t max_line = engine_->limits()->max_document_bytes * 2 + 65536;
  // `reader` reads from the connection, which outlives the response: the
  // provider runs while the response is written, after this returns.
  res.set_chunked_content_provider(
      "application/x-ndjson",
      [engine = engine_, streams = streams_, reader, max_line](
          size_t, httplib::DataSink& sink) {
        JsonLineSplitter splitter(max_line);
        const bool read = reader([&](const char* data, size_t length) {
          if (streams->ending) return false;  // The drain is over.
          const auto lines = splitter.Feed(std::string_view(data, length));
          if (lines.empty()) return true;
          const std::string out = AnswerLines(*engine, max_line, lines);
          return sink.write(out.data(), out.size());
        });
        if (!read) return false;  // Client gone or too slow: close.
        const auto last = splitter.Finish();
        if (!last.empty()) {
          const std::string out = AnswerLines(*engine, max_line, last);
          if (!sink.write(out.data(), out.size())) return false;
        }
        sink.done();
        return true;
      },
      [streams = streams_](bool) { streams->calls.End(); });
}

}  // namespace classifyd
