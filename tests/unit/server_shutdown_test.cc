// ShutdownServer (server/server_shutdown.h) on a real gRPC server on
// loopback, with a connection whose client never answers the GOAWAY: the
// shutdown ends once the count of calls in flight has stayed at 0 for the
// settle time, and never before.
#include "server/server_shutdown.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "testing/raw_connection.h"

namespace classifyd {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Far beyond every bound below: a shutdown that waited for the silent
// connection would be caught.
constexpr auto kDeadline = 120s;

class ServerShutdownTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    silent_ = std::make_unique<testing::RawConnection>(port_);
    silent_->Send(testing::kHttp2ClientHello);
    // The server has taken the connection once it answers the hello.
    ASSERT_TRUE(silent_->ReceivedAny());
  }

  int port_ = 0;
  std::unique_ptr<testing::RawConnection> silent_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(ServerShutdownTest, EndsOnceNoCallHasBeenInFlightForTheSettleTime) {
  std::atomic<int> in_flight{1};
  const auto start = Clock::now();
  std::atomic<Clock::duration> ended_at{};
  std::thread last_call([&] {
    std::this_thread::sleep_for(500ms);
    ended_at = Clock::now() - start;
    in_flight = 0;
  });
  ShutdownServer(
      server_.get(), std::chrono::system_clock::now() + kDeadline,
      [&] { return in_flight.load(); }, 300ms);
  const auto took = Clock::now() - start;
  last_call.join();
  // Not while the call was in flight, nor before the settle time after it.
  EXPECT_GE(took, ended_at.load() + 300ms);
  // gRPC's Shutdown() alone waits 20 s for the silent client's answer.
  EXPECT_LT(took, 10s) << "the silent connection held it";
  server_->Wait();
}

TEST_F(ServerShutdownTest, ACallThatNeverEndsIsCutAtTheDeadline) {
  const auto start = Clock::now();
  ShutdownServer(
      server_.get(), std::chrono::system_clock::now() + 1s, [] { return 1; },
      100ms);
  // At the deadline, not at the settle time (gRPC's timer may fire a few
  // milliseconds early).
  EXPECT_GE(Clock::now() - start, 800ms);
  server_->Wait();
}

}  // namespace
}  // namespace classifyd
