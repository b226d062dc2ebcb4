#include "server/json_log_formatter.h"

#include <spdlog/details/log_msg.h>
#include <spdlog/fmt/chrono.h>

#include <chrono>
#include <ctime>

namespace classifyd {
namespace {

void Append(std::string_view text, spdlog::memory_buf_t& dest) {
  dest.append(text.data(), text.data() + text.size());
}

// Length of the valid UTF-8 sequence at the start of `s`, or 0.
size_t Utf8SequenceLength(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  size_t length = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4;
  else return 0;
  if (s.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
  }
  // Overlong forms, surrogates and code points past U+10FFFF.
  if (lead == 0xE0 && byte(1) < 0xA0) return 0;
  if (lead == 0xED && byte(1) > 0x9F) return 0;
  if (lead == 0xF0 && byte(1) < 0x90) return 0;
  if (lead == 0xF4 && byte(1) > 0x8F) return 0;
  return length;
}

}  // namespace

void AppendJsonString(std::string_view text, spdlog::memory_buf_t& dest) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      dest.push_back('\\');
      dest.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      Append("\\n", dest);
    } else if (c == '\t') {
      Append("\\t", dest);
    } else if (c < 0x20 || c == 0x7F) {
      const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      dest.append(escape, escape + sizeof(escape));
    } else if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(text.substr(i));
      if (n == 0) {
        Append("\\ufffd", dest);
        ++i;
        continue;
      }
      Append(text.substr(i, n), dest);
      i += n;
      continue;
    } else {
      dest.push_back(static_cast<char>(c));
    }
    ++i;
  }
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg,
                              spdlog::memory_buf_t& dest) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(msg.time);
  std::tm local{};
  localtime_r(&seconds, &local);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                          msg.time.time_since_epoch())
                          .count() %
                      1000;
  // strftime's %z is "+0100"; RFC 3339 wants "+01:00".
  char offset[8];
  std::strftime(offset, sizeof(offset), "%z", &local);
  fmt::format_to(std::back_inserter(dest),
                 "{{\"time\":\"{:%Y-%m-%dT%H:%M:%S}.{:03}{:.3}:{}\",", local,
                 millis, offset, offset + 3);
  Append("\"level\":\"", dest);
  const auto level = spdlog::level::to_string_view(msg.level);
  Append(std::string_view(level.data(), level.size()), dest);
  Append("\",\"logger\":\"", dest);
  AppendJsonString(std::string_view(msg.logger_name.data(),
                                    msg.logger_name.size()),
                   dest);
  Append("\",\"message\":\"", dest);
  AppendJsonString(std::string_view(msg.payload.data(), msg.payload.size()),
                   dest);
  Append("\"}\n", dest);
}

}  // namespace classifyd
