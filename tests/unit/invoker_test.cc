// The invoker over the real loader and the purpose-built crash_hang plugin:
// answers are the plugin's own, a call past its limit is answered without
// it and counted stuck (and reported to the observer) until it returns, a
// full queue and a stuck classifier refuse at once, stuck calls are capped
// per name across generations, Stop() answers what still runs and keeps
// the classifier of a stuck call alive, and idle workers of a retired
// classifier end. No assertion depends on how fast the machine is: hangs
// last until the test releases them.
#include "invoker/invoker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "plugin/plugin_library.h"
#include "testing/daemon_process.h"
#include "testing/eventually.h"
#include "testing/failure_of.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

using testing::Eventually;

// Records what the invoker reports, as "stuck:<generation>" and
// "recovered:<generation>".
class RecordingObserver final : public InvokerObserver {
 public:
  void CallStuck(const Classifier& c) override {
    Add("stuck:" + std::to_string(c.generation()));
  }
  void CallRecovered(const Classifier& c) override {
    Add("recovered:" + std::to_string(c.generation()));
  }
  std::vector<std::string> events() {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  void Add(std::string e) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
  }
  std::mutex mu_;
  std::vector<std::string> events_;
};

PluginBatch Batch(std::vector<std::string_view> texts) {
  PluginBatch batch;
  for (std::string_view t : texts) batch.Add(t);
  batch.top_k = 5;
  return batch;
}

class InvokerTest : public ::testing::Test {
 protected:
  // Built before any worker logs (see tests/tsan.supp on spdlog).
  InvokerTest() { spdlog::default_logger_raw(); }

  // A crash_hang classifier that hangs on "HANG" until Release(); its
  // destruction is counted in destroyed_.
  std::shared_ptr<const Classifier> Make(uint64_t generation = 1) {
    auto library =
        PluginLibrary::Open(testing::TestPluginDir() + "/crash_hang.so", "");
    if (const std::optional<std::string> e = testing::FailureOf(library)) {
      ADD_FAILURE() << *e;
      return nullptr;
    }
    Manifest m;
    m.name = "invoked";
    m.manifest_path = "/invoked.toml";
    m.library_path = testing::TestPluginDir() + "/crash_hang.so";
    m.options = {{"label", "fine"},
                 {"hang_marker", "HANG"},
                 {"release_file", files_.path() + "/release"},
                 {"entered_file", files_.path() + "/entered"}};
    auto created =
        Classifier::Create(m, std::move(library).value(), generation);
    if (const std::optional<std::string> e = testing::FailureOf(created)) {
      ADD_FAILURE() << *e;
      return nullptr;
    }
    return std::shared_ptr<const Classifier>(
        std::move(created).value().release(), [this](const Classifier* c) {
          delete c;
          ++destroyed_;
        });
  }

  void Release() { std::ofstream{files_.path() + "/release"}; }
  bool HangEntered() {
    return Eventually(
        [&] { return std::ifstream(files_.path() + "/entered").good(); });
  }

  // Submits `texts`; the result arrives in the returned future.
  std::future<CallResult> Submit(Invoker& invoker,
                                 std::shared_ptr<const Classifier> c,
                                 std::vector<std::string_view> texts,
                                 std::chrono::milliseconds timeout = 0ms) {
    auto promise = std::make_shared<std::promise<CallResult>>();
    auto future = promise->get_future();
    invoker.Submit(std::move(c), timeout, Batch(std::move(texts)),
                   [promise](CallResult r) { promise->set_value(std::move(r)); });
    return future;
  }

  void TearDown() override { Release(); }

  testing::TempDir files_;
  std::atomic<int> destroyed_{0};
};

TEST_F(InvokerTest, AnAnswerIsThePluginsOwn) {
  Invoker invoker;
  auto c = Make();
  ASSERT_NE(c, nullptr);
  CallResult r = invoker.Call(c, 60s, Batch({"one", "two"}));
  EXPECT_EQ(r.end, CallEnd::kAnswered);
  ASSERT_EQ(r.outcomes.size(), 2u);
  for (const DocumentOutcome& o : r.outcomes) {
    EXPECT_EQ(o.code, CLASSIFYD_OK);
    ASSERT_EQ(o.labels.size(), 1u);
    EXPECT_EQ(o.labels[0].name, "fine");
  }
  EXPECT_EQ(c->call_health().timed_out_calls.load(), 0u);
}

// A completion runs on the worker that made the call, so it sees the
// worker's scheduling policy.
TEST_F(InvokerTest, WorkersRunUnderBatchSchedulingUnlessTurnedOff) {
  for (const bool batch : {true, false}) {
    InvokerOptions options;
    options.batch_scheduling = batch;
    Invoker invoker(options);
    auto c = Make();
    ASSERT_NE(c, nullptr);
    std::promise<int> policy;
    invoker.Submit(c, 0ms, Batch({"one"}), [&policy](CallResult) {
      policy.set_value(sched_getscheduler(0));
    });
    EXPECT_EQ(policy.get_future().get(), batch ? SCHED_BATCH : SCHED_OTHER)
        << "batch_scheduling " << batch;
  }
}

TEST_F(InvokerTest, ACallPastItsLimitIsStuckUntilItReturns) {
  RecordingObserver observer;
  Invoker invoker({}, &observer);
  auto c = Make(7);
  ASSERT_NE(c, nullptr);
  CallResult r = invoker.Call(c, 100ms, Batch({"a HANG", "b"}));
  EXPECT_EQ(r.end, CallEnd::kTimedOut);
  ASSERT_EQ(r.outcomes.size(), 2u);
  EXPECT_EQ(r.outcomes[1].code, CLASSIFYD_DEADLINE_EXCEEDED);
  EXPECT_EQ(r.outcomes[1].message,
            "classifier 'invoked' did not answer within 100 ms");
  EXPECT_EQ(c->call_health().stuck_calls.load(), 1);
  EXPECT_EQ(c->call_health().timed_out_calls.load(), 1u);
  EXPECT_EQ(invoker.AbandonedCalls(), 1);

  // Skipped at once while stuck, without calling the plugin.
  CallResult skipped = invoker.Call(c, 60s, Batch({"c"}));
  EXPECT_EQ(skipped.end, CallEnd::kRefused);
  EXPECT_EQ(skipped.outcomes[0].code, CLASSIFYD_UNAVAILABLE);
  EXPECT_THAT(skipped.outcomes[0].message, HasSubstr("is skipped"));

  Release();
  EXPECT_TRUE(Eventually([&] { return c->call_health().stuck_calls == 0; }));
  EXPECT_TRUE(Eventually([&] { return observer.events().size() == 2; }));
  EXPECT_THAT(observer.events(), ElementsAre("stuck:7", "recovered:7"));
  EXPECT_EQ(invoker.AbandonedCalls(), 0);
  EXPECT_EQ(invoker.Call(c, 60s, Batch({"d"})).end, CallEnd::kAnswered);
}

TEST_F(InvokerTest, AFullQueueRefusesAtOnce) {
  InvokerOptions options;
  options.workers_per_classifier = 1;
  options.max_queued_calls = 2;
  Invoker invoker(options);
  auto c = Make();
  ASSERT_NE(c, nullptr);
  auto hung = Submit(invoker, c, {"HANG"});
  ASSERT_TRUE(HangEntered());  // The one worker is busy; two calls queue.
  std::vector<std::future<CallResult>> queued;
  queued.push_back(Submit(invoker, c, {"one"}));
  queued.push_back(Submit(invoker, c, {"two"}));
  auto third = Submit(invoker, c, {"three"});
  ASSERT_EQ(third.wait_for(0s), std::future_status::ready);
  CallResult refused = third.get();
  EXPECT_EQ(refused.end, CallEnd::kRefused);
  EXPECT_EQ(refused.outcomes[0].code, CLASSIFYD_UNAVAILABLE);
  EXPECT_THAT(refused.outcomes[0].message, HasSubstr("is busy"));
  Release();
  EXPECT_EQ(hung.get().end, CallEnd::kAnswered);
  for (auto& q : queued) EXPECT_EQ(q.get().end, CallEnd::kAnswered);
}

TEST_F(InvokerTest, StuckCallsAreCappedPerNameAcrossGenerations) {
  InvokerOptions options;
  options.max_stuck_calls_per_name = 2;
  Invoker invoker(options);
  std::vector<std::shared_ptr<const Classifier>> generations;
  for (uint64_t g = 1; g <= 3; ++g) generations.push_back(Make(g));
  for (int g = 0; g < 2; ++g) {
    EXPECT_EQ(invoker.Call(generations[g], 50ms, Batch({"HANG"})).end,
              CallEnd::kTimedOut);
  }
  CallResult capped = invoker.Call(generations[2], 60s, Batch({"fine"}));
  EXPECT_EQ(capped.end, CallEnd::kRefused);
  EXPECT_THAT(capped.outcomes[0].message,
              HasSubstr("2 calls of its earlier generations"));
  Release();
  EXPECT_TRUE(Eventually([&] { return invoker.AbandonedCalls() == 0; }));
  EXPECT_EQ(invoker.Call(generations[2], 60s, Batch({"fine"})).end,
            CallEnd::kAnswered);
}

TEST_F(InvokerTest, StopAnswersRunningCallsAndKeepsTheirClassifier) {
  RecordingObserver observer;
  auto invoker = std::make_unique<Invoker>(InvokerOptions{}, &observer);
  auto c = Make();
  ASSERT_NE(c, nullptr);
  auto hung = Submit(*invoker, c, {"HANG"});  // No time limit.
  ASSERT_TRUE(HangEntered());
  c.reset();  // The stuck worker now holds the last reference.
  EXPECT_EQ(invoker->Stop(), 1);
  CallResult r = hung.get();
  EXPECT_EQ(r.end, CallEnd::kRefused);
  EXPECT_THAT(r.outcomes[0].message, HasSubstr("shut down"));
  EXPECT_EQ(Submit(*invoker, Make(), {"late"}).get().end, CallEnd::kRefused);
  invoker.reset();
  Release();
  // The call returns after the invoker is gone; its classifier stays.
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(destroyed_.load(), 1);  // Only the one refused above.
  EXPECT_TRUE(observer.events().empty());
}

TEST_F(InvokerTest, IdleWorkersOfARetiredClassifierEnd) {
  Invoker invoker;
  auto c = Make();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(invoker.Call(c, 60s, Batch({"x"})).end, CallEnd::kAnswered);
  EXPECT_EQ(invoker.Workers(), 1u);
  c.reset();
  EXPECT_TRUE(Eventually([&] { return invoker.Workers() == 0; }));
  EXPECT_EQ(destroyed_.load(), 1);
}

}  // namespace
}  // namespace classifyd
