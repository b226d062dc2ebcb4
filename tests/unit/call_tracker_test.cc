// CallTracker: what shutdown's drain relies on. Part of the contract suite,
// so ThreadSanitizer runs it (./test.sh --sanitize thread).
#include "service/call_tracker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace classifyd {
namespace {

using namespace std::chrono_literals;

TEST(CallTrackerTest, IdleAtOnceWithNoCalls) {
  CallTracker calls;
  EXPECT_EQ(calls.WaitUntilIdle(std::chrono::steady_clock::now() + 60s), 0);
}

TEST(CallTrackerTest, DrainingRefusesNewCallsAndWaitsForTheOthers) {
  CallTracker calls;
  ASSERT_TRUE(calls.Begin());
  ASSERT_TRUE(calls.Begin());
  calls.StartDraining();
  EXPECT_TRUE(calls.draining());
  EXPECT_FALSE(calls.Begin());  // Refused, and not counted.
  // Two in flight: the wait ends at its deadline and says so.
  EXPECT_EQ(calls.WaitUntilIdle(std::chrono::steady_clock::now() + 10ms), 2);
  calls.End();
  std::thread last([&] {
    std::this_thread::sleep_for(20ms);
    calls.End();
  });
  EXPECT_EQ(calls.WaitUntilIdle(std::chrono::steady_clock::now() + 60s), 0);
  last.join();
}

// Calls that start and end on many threads while the drain starts: every
// call either was refused or is waited for, and none is left over.
TEST(CallTrackerTest, CallsRacingTheDrainAreEachRefusedOrWaitedFor) {
  CallTracker calls;
  std::atomic<int> running{0};  // Begun and not yet ended.
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        if (!calls.Begin()) continue;
        running++;
        std::this_thread::sleep_for(50us);
        running--;
        calls.End();
      }
    });
  }
  std::this_thread::sleep_for(20ms);
  calls.StartDraining();
  EXPECT_EQ(calls.WaitUntilIdle(std::chrono::steady_clock::now() + 60s), 0);
  EXPECT_EQ(running.load(), 0);  // Nothing runs once the drain is over.
  EXPECT_FALSE(calls.Begin());
  stop = true;
  for (auto& t : threads) t.join();
}

}  // namespace
}  // namespace classifyd
