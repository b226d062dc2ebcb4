// Journal detection, the log formats, and the logger each one makes.
#include "server/log_setup.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/sinks/systemd_sink.h>

#include <string>

#include "testing/temp_dir.h"

namespace classifyd {
namespace {

std::string StreamOf(int fd) {
  struct stat st;
  EXPECT_EQ(fstat(fd, &st), 0);
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

std::string Format(LogFormat format, spdlog::level::level_enum level,
                   const std::string& text) {
  spdlog::details::log_msg msg("classifyd", level, text);
  spdlog::memory_buf_t out;
  MakeLogFormatter(format)->format(msg, out);
  return std::string(out.data(), out.size());
}

TEST(LogSetupTest, JournalStreamMatchesOnlyTheSameFile) {
  testing::TempDir dir;
  const std::string a = dir.WriteFile("a", "");
  const std::string b = dir.WriteFile("b", "");
  const int fd_a = open(a.c_str(), O_RDONLY | O_CLOEXEC);
  const int fd_b = open(b.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd_a, 0);
  ASSERT_GE(fd_b, 0);
  EXPECT_TRUE(IsJournalStream(StreamOf(fd_a).c_str(), fd_a));
  // stderr redirected away from the journal keeps $JOURNAL_STREAM.
  EXPECT_FALSE(IsJournalStream(StreamOf(fd_a).c_str(), fd_b));
  close(fd_a);
  close(fd_b);
}

TEST(LogSetupTest, MalformedOrMissingJournalStreamIsNotTheJournal) {
  const int fd = STDIN_FILENO;
  const std::string good = StreamOf(fd);
  EXPECT_FALSE(IsJournalStream(nullptr, fd));
  EXPECT_FALSE(IsJournalStream("", fd));
  EXPECT_FALSE(IsJournalStream("12", fd));
  EXPECT_FALSE(IsJournalStream((good + "x").c_str(), fd));
  EXPECT_FALSE(IsJournalStream(("x" + good).c_str(), fd));
  EXPECT_FALSE(IsJournalStream(good.c_str(), -1));
}

TEST(LogSetupTest, JournalFormatWritesStructuredEntriesThroughTheSystemdSink) {
  SetUpLogging(spdlog::level::info, LogFormat::kJournal);
  const auto logger = spdlog::default_logger();
  ASSERT_EQ(logger->sinks().size(), 1u);
  EXPECT_NE(std::dynamic_pointer_cast<spdlog::sinks::systemd_sink_mt>(
                logger->sinks()[0]),
            nullptr);
  spdlog::drop("classifyd");
  SetUpLogging(spdlog::level::info, LogFormat::kJson);
  EXPECT_EQ(std::dynamic_pointer_cast<spdlog::sinks::systemd_sink_mt>(
                spdlog::default_logger()->sinks()[0]),
            nullptr);
  spdlog::drop("classifyd");
}

TEST(LogSetupTest, ExplicitFormatsWinOverDetection) {
  EXPECT_EQ(ResolveLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(ResolveLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ResolveLogFormat("journal"), LogFormat::kJournal);
  EXPECT_EQ(ResolveLogFormat("auto"), DetectLogFormat());
}

TEST(LogSetupTest, TextLinesCarryATimestampAndTheLevelName) {
  const std::string line =
      Format(LogFormat::kText, spdlog::level::warn, "slow reload");
  // 2026-11-29T19:44:51.123+00:00 warning slow reload
  ASSERT_GE(line.size(), 30u) << line;
  EXPECT_EQ(line[4], '-');
  EXPECT_EQ(line[10], 'T');
  EXPECT_EQ(line[19], '.');
  // The time zone: a UTC offset.
  EXPECT_TRUE(line[23] == '+' || line[23] == '-') << line;
  EXPECT_EQ(line[26], ':') << line;
  EXPECT_EQ(line[29], ' ') << line;
  EXPECT_NE(line.find(" warning slow reload\n"), std::string::npos) << line;
  EXPECT_EQ(line.find('<'), std::string::npos) << line;
}

TEST(LogSetupTest, JsonLinesAreOneParseableObjectEach) {
  const std::string line = Format(LogFormat::kJson, spdlog::level::err,
                                  "bad \"x\"\\ in\nfile\x01 \xff 台风");
  // One line: the only newline ends it.
  ASSERT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_EQ(line.rfind("{\"time\":\"", 0), 0u) << line;
  // RFC 3339 time with a "+HH:MM" offset.
  // {"time":"2026-11-29T19:44:51.123+00:00",
  const size_t t = std::string("{\"time\":\"").size();
  EXPECT_EQ(line[t + 19], '.') << line;
  EXPECT_TRUE(line[t + 23] == '+' || line[t + 23] == '-') << line;
  EXPECT_EQ(line[t + 26], ':') << line;
  EXPECT_EQ(line.substr(t + 29, 2), "\",") << line;
  EXPECT_NE(line.find("\"level\":\"error\",\"logger\":\"classifyd\","), std::string::npos)
      << line;
  EXPECT_NE(line.find("\"message\":\"bad \\\"x\\\"\\\\ in\\nfile\\u0001 "
                      "\\ufffd 台风\"}\n"),
            std::string::npos)
      << line;
}

}  // namespace
}  // namespace classifyd
