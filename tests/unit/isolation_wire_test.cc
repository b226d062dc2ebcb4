// The pieces of process isolation that need no child process: frames on a
// socketpair (isolation/frame_io.h) and the restart and poison-document
// rules (isolation/restart_policy.h).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "isolation/frame_io.h"
#include "isolation/restart_policy.h"
#include "wire.pb.h"

namespace classifyd::isolation {
namespace {

using std::chrono::milliseconds;

class FrameTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
  }
  void TearDown() override {
    for (int fd : fds_) {
      if (fd >= 0) close(fd);
    }
  }
  // Already passed: a read or write that would have to wait fails at once.
  static Deadline Past() { return Clock::now() - milliseconds(1); }

  int fds_[2] = {-1, -1};
};

TEST_F(FrameTest, AMessageArrivesWhole) {
  HostMessage sent;
  sent.mutable_classify()->add_texts(std::string("台风 \0 binary", 13));
  sent.mutable_classify()->add_texts("second");
  sent.mutable_classify()->set_top_k(7);
  ASSERT_TRUE(WriteFrame(fds_[0], sent, std::nullopt).ok());
  HostMessage received;
  ASSERT_TRUE(ReadFrame(fds_[1], 1 << 20, &received, std::nullopt).ok());
  EXPECT_EQ(received.SerializeAsString(), sent.SerializeAsString());
}

TEST_F(FrameTest, TheHeaderIsALittleEndianLength) {
  const std::string header = EncodeFrameHeader(0x01020304);
  ASSERT_EQ(header, std::string("\x04\x03\x02\x01", 4));
  EXPECT_EQ(
      DecodeFrameHeader(reinterpret_cast<const unsigned char*>(header.data())),
      0x01020304u);
}

TEST_F(FrameTest, AFrameOverTheLimitIsRefusedBeforeItIsRead) {
  const std::string header = EncodeFrameHeader(kMaxChildFrameBytes + 1);
  ASSERT_EQ(write(fds_[0], header.data(), header.size()), 4);
  ChildMessage message;
  absl::Status s =
      ReadFrame(fds_[1], kMaxChildFrameBytes, &message, std::nullopt);
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
}

TEST_F(FrameTest, BytesThatDoNotParseAreInvalid) {
  std::string frame = EncodeFrameHeader(3);
  frame.append(3, '\xff');
  ASSERT_EQ(write(fds_[0], frame.data(), frame.size()), 7);
  ChildMessage message;
  absl::Status s = ReadFrame(fds_[1], 1 << 20, &message, std::nullopt);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
}

TEST_F(FrameTest, APeerThatClosedIsUnavailable) {
  close(fds_[0]);
  fds_[0] = -1;
  ChildMessage message;
  EXPECT_TRUE(
      absl::IsUnavailable(ReadFrame(fds_[1], 1 << 20, &message, std::nullopt)));
  HostMessage request;
  request.mutable_classify()->add_texts()->assign(1, 'x');
  // No SIGPIPE: the test process would die of it.
  EXPECT_TRUE(absl::IsUnavailable(WriteFrame(fds_[1], request, std::nullopt)));
}

TEST_F(FrameTest, APeerThatSendsNothingIsADeadlineExceeded) {
  ChildMessage message;
  EXPECT_TRUE(
      absl::IsDeadlineExceeded(ReadFrame(fds_[1], 1 << 20, &message, Past())));
  // Half a frame, then silence.
  ASSERT_EQ(write(fds_[0], "\x09\x00", 2), 2);
  EXPECT_TRUE(
      absl::IsDeadlineExceeded(ReadFrame(fds_[1], 1 << 20, &message, Past())));
}

TEST(RestartBackoffTest, DoublesUpToTheLimitWhileTheChildKeepsDying) {
  RestartBackoff backoff(milliseconds(100), milliseconds(1000),
                         milliseconds(60000));
  const Clock::time_point t0 = Clock::time_point() + std::chrono::hours(1);
  backoff.Started(t0);
  std::vector<long> waits;
  for (int i = 0; i < 6; ++i) {
    waits.push_back(backoff.Died(t0 + milliseconds(10 * i)).count());
    backoff.Started(t0 + milliseconds(10 * i + 5));
  }
  EXPECT_EQ(waits, (std::vector<long>{100, 200, 400, 800, 1000, 1000}));
  EXPECT_EQ(backoff.consecutive_deaths(), 6);
}

TEST(RestartBackoffTest, AChildThatServedLongEnoughStartsTheCountAgain) {
  RestartBackoff backoff(milliseconds(100), milliseconds(1000),
                         milliseconds(60000));
  const Clock::time_point t0 = Clock::time_point() + std::chrono::hours(1);
  backoff.Started(t0);
  EXPECT_EQ(backoff.Died(t0 + milliseconds(1)).count(), 100);
  backoff.Started(t0 + milliseconds(2));
  EXPECT_EQ(backoff.Died(t0 + milliseconds(3)).count(), 200);
  backoff.Started(t0 + milliseconds(4));
  EXPECT_EQ(
      backoff.Died(t0 + milliseconds(4) + std::chrono::minutes(2)).count(),
      100);
  EXPECT_EQ(backoff.consecutive_deaths(), 1);
}

TEST(RestartBackoffTest, AChildThatAnsweredEnoughCallsStartsTheCountAgain) {
  RestartBackoff backoff(milliseconds(100), milliseconds(1000),
                         milliseconds(60000), 3);
  const Clock::time_point t0 = Clock::time_point() + std::chrono::hours(1);
  backoff.Started(t0);
  EXPECT_EQ(backoff.Died(t0).count(), 100);
  backoff.Started(t0);
  backoff.Answered();
  backoff.Answered();
  EXPECT_EQ(backoff.Died(t0).count(), 200);  // 2 answers: not yet proved.
  backoff.Started(t0);
  for (int i = 0; i < 3; ++i) backoff.Answered();
  EXPECT_EQ(backoff.Died(t0).count(), 100);
  backoff.Started(t0);  // A new child has answered nothing yet.
  EXPECT_EQ(backoff.Died(t0).count(), 200);
}

TEST(PoisonTrackerTest, ADocumentInFlightInTwoDeathsIsPoison) {
  PoisonTracker poison;
  const uint64_t bad = DocumentKey("x POISON");
  const uint64_t other = DocumentKey("x other");
  ASSERT_NE(bad, other);
  const uint64_t first[] = {bad, other};
  poison.Died(first);
  EXPECT_FALSE(poison.IsPoison(bad));
  const uint64_t second[] = {bad};
  poison.Died(second);
  EXPECT_TRUE(poison.IsPoison(bad));
  EXPECT_FALSE(poison.IsPoison(other));
  EXPECT_EQ(DocumentKey("x POISON"), bad);  // Known by its text.
}

TEST(PoisonTrackerTest, TheSameDocumentTwiceInOneCallCountsOnce) {
  PoisonTracker poison;
  const uint64_t key = DocumentKey("twice");
  const uint64_t keys[] = {key, key};
  poison.Died(keys);
  EXPECT_EQ(poison.Deaths(key), 1);
  EXPECT_FALSE(poison.IsPoison(key));
}

TEST(PoisonTrackerTest, OnlyTheMostRecentDocumentsAreRemembered) {
  PoisonTracker poison;
  const uint64_t first = DocumentKey("document 0");
  for (size_t i = 0; i <= kRememberedDocuments; ++i) {
    const uint64_t key = DocumentKey(absl::StrCat("document ", i));
    poison.Died(std::span(&key, 1));
  }
  EXPECT_EQ(poison.Deaths(first), 0);
  EXPECT_EQ(poison.Deaths(DocumentKey("document 1")), 1);
}

}  // namespace
}  // namespace classifyd::isolation
