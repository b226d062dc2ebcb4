// A spdlog formatter that writes each message as one JSON object on one
// line, for log shippers (Loki, Elasticsearch, Cloud Logging):
//   {"time":"2026-12-04T23:41:04.123+00:00","level":"info",
//    "logger":"classifyd","message":"classifyd ready"}
// `time` is local time with its UTC offset (RFC 3339); the message is
// escaped as JSON requires (quotes, backslashes, control characters), and
// bytes that are not valid UTF-8 become U+FFFD, so every line parses.
// Thread-compatible, as spdlog requires of formatters (each sink has its
// own clone).
#ifndef CLASSIFYD_DAEMON_SERVER_JSON_LOG_FORMATTER_H_
#define CLASSIFYD_DAEMON_SERVER_JSON_LOG_FORMATTER_H_

#include <spdlog/formatter.h>

#include <memory>
#include <string_view>

namespace classifyd {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }
};

// Appends `text` to `dest` as the body of a JSON string (no quotes).
void AppendJsonString(std::string_view text, spdlog::memory_buf_t& dest);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_JSON_LOG_FORMATTER_H_
