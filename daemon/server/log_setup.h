// The daemon's log: spdlog on stderr, in one of two formats. On a terminal
// or in a file, a timestamped human line. When stderr is connected to the
// systemd journal, no timestamp (journald adds its own) and each line starts
// with its syslog priority, "<3>" for errors (the sd-daemon(3) prefix
// convention), so `journalctl -p err` works.
#ifndef CLASSIFYD_DAEMON_SERVER_LOG_SETUP_H_
#define CLASSIFYD_DAEMON_SERVER_LOG_SETUP_H_

#include <spdlog/formatter.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace classifyd {

enum class LogFormat { kText, kJournal };

// True when `journal_stream` ($JOURNAL_STREAM, "<device>:<inode>" in
// decimal, set by systemd for StandardError=journal) names the file open
// on `fd`. A service whose stderr was redirected elsewhere keeps the
// variable, so the variable alone proves nothing.
bool IsJournalStream(const char* journal_stream, int fd);

// kJournal when stderr is the journal's stream, else kText.
LogFormat DetectLogFormat();

// The syslog priority (0 emerg .. 7 debug) of a spdlog level.
int SyslogPriority(spdlog::level::level_enum level);

// The line formatter for `format`.
std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format);

// Makes the stderr logger "classifyd" in `format` the default logger.
void SetUpLogging(spdlog::level::level_enum level, LogFormat format);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_LOG_SETUP_H_
