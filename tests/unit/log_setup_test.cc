// Journal detection and the journald line format.
#include "server/log_setup.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

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

TEST(LogSetupTest, SyslogPriorities) {
  EXPECT_EQ(SyslogPriority(spdlog::level::trace), 7);
  EXPECT_EQ(SyslogPriority(spdlog::level::debug), 7);
  EXPECT_EQ(SyslogPriority(spdlog::level::info), 6);
  EXPECT_EQ(SyslogPriority(spdlog::level::warn), 4);
  EXPECT_EQ(SyslogPriority(spdlog::level::err), 3);
  EXPECT_EQ(SyslogPriority(spdlog::level::critical), 2);
}

TEST(LogSetupTest, JournalLinesCarryThePriorityAndNoTimestamp) {
  EXPECT_EQ(Format(LogFormat::kJournal, spdlog::level::err, "boom"),
            "<3>boom\n");
  EXPECT_EQ(Format(LogFormat::kJournal, spdlog::level::info, "ready"),
            "<6>ready\n");
  EXPECT_EQ(Format(LogFormat::kJournal, spdlog::level::warn, "slow"),
            "<4>slow\n");
}

TEST(LogSetupTest, TextLinesCarryATimestampAndTheLevelName) {
  const std::string line =
      Format(LogFormat::kText, spdlog::level::warn, "slow reload");
  // 2026-11-29T19:44:51.123 warning slow reload
  ASSERT_GE(line.size(), 24u) << line;
  EXPECT_EQ(line[4], '-');
  EXPECT_EQ(line[10], 'T');
  EXPECT_EQ(line[19], '.');
  EXPECT_NE(line.find(" warning slow reload\n"), std::string::npos) << line;
  EXPECT_EQ(line.find('<'), std::string::npos) << line;
}

}  // namespace
}  // namespace classifyd
