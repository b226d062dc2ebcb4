// ClassifyWithTimeout over the real loader and the purpose-built
// crash_hang plugin: answers in time are the plugin's own, a call past its
// limit is counted stuck until it returns, and the classifier outlives a
// stuck call that holds the last reference. Part of the contract suite, so
// ThreadSanitizer runs it (./test.sh --sanitize thread): the last test
// races timeouts against returns on purpose.
#include "plugin/guarded_classify.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "plugin/plugin_library.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// Generous: a call that does not hang never comes near it.
constexpr auto kInTime = 60s;

bool Eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

class GuardedClassifyTest : public ::testing::Test {
 protected:
  // spdlog's registry is built on first use, inside the uninstrumented
  // libspdlog: build it before any worker thread exists, as the daemon
  // does, or ThreadSanitizer cannot see that its construction happened
  // before a worker's first log line.
  GuardedClassifyTest() { spdlog::default_logger_raw(); }

  // A crash_hang classifier with `options`; its destruction is recorded in
  // destroyed_ (the deleter runs on whichever thread drops the last
  // reference).
  std::shared_ptr<const Classifier> Make(
      std::vector<std::pair<std::string, std::string>> options) {
    auto library =
        PluginLibrary::Open(testing::TestPluginDir() + "/crash_hang.so", "");
    if (auto* e = std::get_if<std::string>(&library)) {
      ADD_FAILURE() << *e;
      return nullptr;
    }
    Manifest m;
    m.name = "guarded";
    m.manifest_path = "/guarded.toml";
    m.library_path = testing::TestPluginDir() + "/crash_hang.so";
    m.options = std::move(options);
    auto created = Classifier::Create(
        m, std::get<std::shared_ptr<PluginLibrary>>(std::move(library)), 1);
    if (auto* e = std::get_if<std::string>(&created)) {
      ADD_FAILURE() << *e;
      return nullptr;
    }
    return std::shared_ptr<const Classifier>(
        std::get<std::unique_ptr<Classifier>>(std::move(created)).release(),
        [this](const Classifier* c) {
          delete c;
          destroyed_ = true;
        });
  }

  std::string release_file() const { return files_.path() + "/release"; }
  void Release() { std::ofstream{release_file()}; }

  void TearDown() override {
    // A test's listener refers to its locals, gone by now.
    SetStuckCallsListener({});
    // Whatever a test left stuck returns now, before the next test counts.
    Release();
    EXPECT_TRUE(Eventually([] { return AbandonedGuardedCalls() == 0; }));
  }

  testing::TempDir files_;
  std::atomic<bool> destroyed_{false};
};

TEST_F(GuardedClassifyTest, AnAnswerInTimeIsThePluginsOwn) {
  auto c = Make({{"label", "fine"}});
  ASSERT_NE(c, nullptr);
  std::vector<DocumentOutcome> out;
  std::string_view texts[] = {"one", "two"};
  EXPECT_EQ(ClassifyWithTimeout(c, texts, 5, 0.0f, kInTime, &out),
            GuardedCall::kAnswered);
  ASSERT_EQ(out.size(), 2u);
  for (const DocumentOutcome& o : out) {
    EXPECT_EQ(o.code, CLASSIFYD_OK);
    ASSERT_EQ(o.labels.size(), 1u);
    EXPECT_EQ(o.labels[0].name, "fine");
  }
  EXPECT_EQ(c->call_health().stuck_calls.load(), 0);
  EXPECT_EQ(c->call_health().timed_out_calls.load(), 0u);
}

TEST_F(GuardedClassifyTest, ACallPastItsLimitIsStuckUntilItReturns) {
  auto c = Make({{"hang_marker", "HANG"}, {"release_file", release_file()}});
  ASSERT_NE(c, nullptr);
  std::vector<DocumentOutcome> out;
  std::string_view hang[] = {"fine", "HANG"};
  EXPECT_EQ(ClassifyWithTimeout(c, hang, 5, 0.0f, 100ms, &out),
            GuardedCall::kTimedOut);
  ASSERT_EQ(out.size(), 2u);
  for (const DocumentOutcome& o : out) {
    EXPECT_EQ(o.code, CLASSIFYD_DEADLINE_EXCEEDED);
    EXPECT_EQ(o.message, "classifier 'guarded' did not answer within 100 ms");
    EXPECT_TRUE(o.labels.empty());
  }
  EXPECT_EQ(c->call_health().stuck_calls.load(), 1);
  EXPECT_EQ(c->call_health().timed_out_calls.load(), 1u);
  EXPECT_EQ(AbandonedGuardedCalls(), 1);

  std::string_view fine[] = {"fine"};
  EXPECT_EQ(ClassifyWithTimeout(c, fine, 5, 0.0f, kInTime, &out),
            GuardedCall::kSkipped);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].code, CLASSIFYD_UNAVAILABLE);
  EXPECT_THAT(out[0].message, HasSubstr("is skipped"));

  Release();
  EXPECT_TRUE(Eventually([&] {
    return c->call_health().stuck_calls.load() == 0 &&
           AbandonedGuardedCalls() == 0;
  }));
  EXPECT_EQ(ClassifyWithTimeout(c, fine, 5, 0.0f, kInTime, &out),
            GuardedCall::kAnswered);
  EXPECT_EQ(out[0].code, CLASSIFYD_OK);
  EXPECT_EQ(c->call_health().timed_out_calls.load(), 1u);
}

TEST_F(GuardedClassifyTest, AStuckCallKeepsItsClassifierAlive) {
  auto c = Make({{"hang_marker", "HANG"}, {"release_file", release_file()}});
  ASSERT_NE(c, nullptr);
  std::vector<DocumentOutcome> out;
  std::string_view hang[] = {"HANG"};
  ASSERT_EQ(ClassifyWithTimeout(c, hang, 5, 0.0f, 100ms, &out),
            GuardedCall::kTimedOut);
  // The request (and a reload retiring the classifier) let go: only the
  // stuck call holds it now, so nothing is destroyed under it.
  c.reset();
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(destroyed_.load());
  Release();
  EXPECT_TRUE(Eventually([&] { return destroyed_.load(); }));
  EXPECT_TRUE(Eventually([] { return AbandonedGuardedCalls() == 0; }));
}

TEST_F(GuardedClassifyTest, TheListenerHearsATimeoutAndTheReturn) {
  auto c = Make({{"hang_marker", "HANG"}, {"release_file", release_file()}});
  ASSERT_NE(c, nullptr);
  std::mutex mu;
  std::vector<int> heard;  // stuck_calls as the listener saw it.
  SetStuckCallsListener([&] {
    std::lock_guard lock(mu);
    heard.push_back(c->call_health().stuck_calls.load());
  });
  auto heard_so_far = [&] {
    std::lock_guard lock(mu);
    return heard;
  };
  std::vector<DocumentOutcome> out;
  std::string_view fine[] = {"fine"};
  ASSERT_EQ(ClassifyWithTimeout(c, fine, 5, 0.0f, kInTime, &out),
            GuardedCall::kAnswered);
  EXPECT_TRUE(heard_so_far().empty());  // Nothing changed.

  std::string_view hang[] = {"HANG"};
  ASSERT_EQ(ClassifyWithTimeout(c, hang, 5, 0.0f, 100ms, &out),
            GuardedCall::kTimedOut);
  EXPECT_EQ(heard_so_far(), std::vector<int>{1});  // Before it returned.
  ASSERT_EQ(ClassifyWithTimeout(c, fine, 5, 0.0f, kInTime, &out),
            GuardedCall::kSkipped);
  EXPECT_EQ(heard_so_far(), std::vector<int>{1});  // A skip changes nothing.

  Release();
  EXPECT_TRUE(Eventually([] { return AbandonedGuardedCalls() == 0; }));
  EXPECT_EQ(heard_so_far(), (std::vector<int>{1, 0}));

  // Once replaced, the old listener is never called again.
  SetStuckCallsListener({});
  std::filesystem::remove(release_file());
  ASSERT_EQ(ClassifyWithTimeout(c, hang, 5, 0.0f, 100ms, &out),
            GuardedCall::kTimedOut);
  Release();
  EXPECT_TRUE(Eventually([] { return AbandonedGuardedCalls() == 0; }));
  EXPECT_EQ(heard_so_far(), (std::vector<int>{1, 0}));
}

// Threads call with a limit close to the plugin's own time (about 2 ms),
// so that some calls time out, some answer, and some return just as their
// caller gives up. Each thread has its own classifier and, after a
// timeout, waits for the stuck call to return (instead of being skipped
// over and over); one classifier is shared by all, so they also race each
// other into it. Every call ends one way, the counters agree with what the
// callers saw, and once everything has returned nothing is left stuck.
TEST_F(GuardedClassifyTest, TimeoutsRacingReturnsKeepTheCountsExact) {
  constexpr int kThreads = 4;
  constexpr int kCalls = 150;
  const std::vector<std::pair<std::string, std::string>> options = {
      {"hang_marker", "SLOW"}, {"hang_ms", "2"}};
  std::vector<std::shared_ptr<const Classifier>> own;
  for (int t = 0; t < kThreads; ++t) {
    own.push_back(Make(options));
    ASSERT_NE(own.back(), nullptr);
  }
  auto shared = Make(options);
  ASSERT_NE(shared, nullptr);
  std::atomic<int> answered{0}, timed_out{0}, skipped{0}, wrong{0};
  std::atomic<int> own_timed_out{0}, shared_timed_out{0};
  std::atomic<int> heard{0};  // Calls of the stuck-calls listener.
  SetStuckCallsListener([&] { ++heard; });
  const auto level = spdlog::get_level();
  spdlog::set_level(spdlog::level::off);  // Not a line per timeout.
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<DocumentOutcome> out;
      std::string_view texts[] = {"SLOW", "x"};
      for (int i = 0; i < kCalls; ++i) {
        const bool mine = i % 3 != 0;
        const auto& c = mine ? own[t] : shared;
        const auto limit = std::chrono::milliseconds(1 + (i + t) % 3);
        switch (ClassifyWithTimeout(c, texts, 5, 0.0f, limit, &out)) {
          case GuardedCall::kAnswered:
            ++answered;
            if (out.size() != 2 || out[0].code != CLASSIFYD_OK ||
                out[1].labels.size() != 1) {
              ++wrong;
            }
            break;
          case GuardedCall::kTimedOut:
            ++timed_out;
            ++(mine ? own_timed_out : shared_timed_out);
            if (out.size() != 2 || out[0].code != CLASSIFYD_DEADLINE_EXCEEDED) {
              ++wrong;
            }
            if (mine) {
              while (c->call_health().stuck_calls.load() != 0) {
                std::this_thread::sleep_for(100us);
              }
            }
            break;
          case GuardedCall::kSkipped:
            ++skipped;
            if (out.size() != 2 || out[0].code != CLASSIFYD_UNAVAILABLE) {
              ++wrong;
            }
            break;
          case GuardedCall::kNoThread:
            ++wrong;
            break;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  spdlog::set_level(level);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(answered + timed_out + skipped, kThreads * kCalls);
  uint64_t own_counted = 0;
  for (const auto& c : own) own_counted += c->call_health().timed_out_calls;
  EXPECT_EQ(own_counted, static_cast<uint64_t>(own_timed_out.load()));
  EXPECT_EQ(shared->call_health().timed_out_calls.load(),
            static_cast<uint64_t>(shared_timed_out.load()));
  std::cout << "[ guarded  ] " << answered << " answered, " << timed_out
            << " timed out, " << skipped << " skipped\n";
  EXPECT_TRUE(Eventually([&] {
    for (const auto& c : own) {
      if (c->call_health().stuck_calls.load() != 0) return false;
    }
    return shared->call_health().stuck_calls.load() == 0 &&
           AbandonedGuardedCalls() == 0;
  }));
  // Every timeout was heard twice: when it happened, and when it returned.
  EXPECT_EQ(heard.load(), 2 * timed_out.load());
}

}  // namespace
}  // namespace classifyd
