#include "server/log_setup.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace classifyd {
namespace {

// "%*": the syslog priority digit of the message's level.
class PriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*tm*/,
              spdlog::memory_buf_t& dest) override {
    const char digit = static_cast<char>('0' + SyslogPriority(msg.level));
    dest.push_back(digit);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PriorityFlag>();
  }
};

}  // namespace

bool IsJournalStream(const char* journal_stream, int fd) {
  if (journal_stream == nullptr) return false;
  uintmax_t device = 0;
  uintmax_t inode = 0;
  int consumed = 0;
  if (std::sscanf(journal_stream, "%" SCNuMAX ":%" SCNuMAX "%n", &device,
                  &inode, &consumed) != 2 ||
      journal_stream[consumed] != '\0') {
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  return static_cast<uintmax_t>(st.st_dev) == device &&
         static_cast<uintmax_t>(st.st_ino) == inode;
}

LogFormat DetectLogFormat() {
  return IsJournalStream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO)
             ? LogFormat::kJournal
             : LogFormat::kText;
}

int SyslogPriority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;  // LOG_DEBUG
    case spdlog::level::info:
      return 6;  // LOG_INFO
    case spdlog::level::warn:
      return 4;  // LOG_WARNING
    case spdlog::level::err:
      return 3;  // LOG_ERR
    case spdlog::level::critical:
      return 2;  // LOG_CRIT
    default:
      return 5;  // LOG_NOTICE; "off" is never logged.
  }
}

std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (format == LogFormat::kJournal) {
    formatter->add_flag<PriorityFlag>('*').set_pattern("<%*>%v");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  return formatter;
}

void SetUpLogging(spdlog::level::level_enum level, LogFormat format) {
  auto logger = spdlog::stderr_logger_mt("classifyd");
  logger->set_formatter(MakeLogFormatter(format));
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace classifyd
