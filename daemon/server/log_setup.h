// The daemon's log (--log-format), in one of three forms:
//   text     on stderr, a human line with a timestamp and its UTC offset;
//   json     on stderr, one JSON object a line (json_log_formatter.h);
//   journal  straight to the systemd journal (spdlog's systemd sink) as
//            structured entries: MESSAGE, PRIORITY (so `journalctl -p err`
//            works), SYSLOG_IDENTIFIER=classifyd, and CODE_FILE, CODE_LINE,
//            CODE_FUNC where the call site is known.
// `auto` (the default) is journal when stderr is the journal's stream
// (systemd's StandardError=journal), else text.
#ifndef CLASSIFYD_DAEMON_SERVER_LOG_SETUP_H_
#define CLASSIFYD_DAEMON_SERVER_LOG_SETUP_H_

#include <spdlog/formatter.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace classifyd {

enum class LogFormat { kText, kJson, kJournal };

// True when `journal_stream` ($JOURNAL_STREAM, "<device>:<inode>" in
// decimal, set by systemd for StandardError=journal) names the file open
// on `fd`. A service whose stderr was redirected elsewhere keeps the
// variable, so the variable alone proves nothing.
bool IsJournalStream(const char* journal_stream, int fd);

// kJournal when stderr is the journal's stream, else kText.
LogFormat DetectLogFormat();

// The format --log-format `name` (auto, text, json, journal) asks for.
// REQUIRES: `name` is one of those (options.cc checks).
LogFormat ResolveLogFormat(const std::string& name);

// The line formatter of the stderr formats.
// REQUIRES: `format` is kText or kJson.
std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format);

// Makes the logger "classifyd" in `format` the default logger.
void SetUpLogging(spdlog::level::level_enum level, LogFormat format);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_LOG_SETUP_H_
