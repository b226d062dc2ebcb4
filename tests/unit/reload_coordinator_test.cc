#include "registry/reload_coordinator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "testing/daemon_process.h"
#include "testing/failure_of.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using testing::KeywordManifest;

// A loader that builds real keyword classifiers but first waits for the
// test to open its gate, so the test controls when a load finishes.
class GatedLoader {
 public:
  ClassifierLoader::Factory loader() {
    return [this](const Manifest& manifest, uint64_t generation)
               -> absl::StatusOr<std::unique_ptr<Classifier>> {
      calls_++;
      {
        std::unique_lock lock(mu_);
        entered_ = true;
        entered_cv_.notify_all();
        open_cv_.wait(lock, [this] { return open_; });
      }
      auto library = PluginLibrary::Open(manifest.library_path);
      if (!library.ok()) return library.status();
      return Classifier::Create(manifest, *library, generation);
    };
  }
  void WaitUntilEntered() {
    std::unique_lock lock(mu_);
    entered_cv_.wait(lock, [this] { return entered_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    open_cv_.notify_all();
  }
  int calls() const { return calls_; }

 private:
  std::mutex mu_;
  std::condition_variable entered_cv_;
  std::condition_variable open_cv_;
  bool entered_ = false;
  bool open_ = false;
  std::atomic<int> calls_{0};
};

class ReloadCoordinatorTest : public ::testing::Test {
 protected:
  ReloadCoordinatorTest() {
    ClassifierRegistry::Options options;
    options.plugin_dir = plugins_.path();
    options.plugin_lib_dir = testing::PluginLibDir();
    options.factory = gate_.loader();
    registry_ = std::make_unique<ClassifierRegistry>(options, &retirer_);
    coordinator_ = std::make_unique<ReloadCoordinator>(
        registry_.get(), [this] { after_change_++; });
  }

  // A registry of its own with one keyword classifier, "k", whose loads
  // wait for `loader` (the fixture's gate is opened).
  std::unique_ptr<ClassifierRegistry> GatedRegistry(GatedLoader* loader) {
    gate_.Open();
    plugins_.WriteFile("k.toml", KeywordManifest("x=one"));
    ClassifierRegistry::Options options;
    options.plugin_dir = plugins_.path();
    options.factory = loader->loader();
    return std::make_unique<ClassifierRegistry>(options, &retirer_);
  }

  testing::TempDir plugins_;
  Retirer retirer_;
  GatedLoader gate_;
  std::unique_ptr<ClassifierRegistry> registry_;
  std::atomic<int> after_change_{0};
  std::unique_ptr<ReloadCoordinator> coordinator_;
};

TEST_F(ReloadCoordinatorTest, ConcurrentRescanRequestsCollapse) {
  plugins_.WriteFile("k.toml", KeywordManifest("x=one"));
  std::atomic<int> callbacks{0};
  auto count = [&](const ReloadCoordinator::Outcome& o) {
    EXPECT_FALSE(o.cancelled);
    callbacks++;
  };
  coordinator_->RequestRescan("first", count);
  gate_.WaitUntilEntered();  // The first rescan is loading now.
  std::vector<std::thread> requesters;
  for (int i = 0; i < 10; ++i) {
    requesters.emplace_back(
        [&] { coordinator_->RequestRescan("burst", count); });
  }
  for (auto& t : requesters) t.join();
  gate_.Open();
  while (callbacks.load() < 11) std::this_thread::yield();
  // One rescan for the first request, one for the whole burst.
  EXPECT_EQ(coordinator_->completed(), 2u);
  EXPECT_EQ(after_change_.load(), 2);
  EXPECT_EQ(gate_.calls(), 1);  // The second rescan found nothing new.
  EXPECT_NE(registry_->Snapshot()->Find("k"), nullptr);
}

TEST_F(ReloadCoordinatorTest, RemovalDuringAReloadEndsWithTheClassifierGone) {
  plugins_.WriteFile("k.toml", KeywordManifest("x=one"));
  std::promise<void> first_done;
  coordinator_->RequestRescan(
      "load", [&](const ReloadCoordinator::Outcome&) { first_done.set_value(); });
  gate_.WaitUntilEntered();
  std::filesystem::remove(plugins_.path() + "/k.toml");
  std::promise<ClassifierRegistry::ReconcileResult> second;
  coordinator_->RequestRescan("removed", [&](const auto& o) {
    second.set_value(o.result);
  });
  gate_.Open();
  first_done.get_future().wait();
  EXPECT_EQ(second.get_future().get().removed, 1);
  EXPECT_EQ(registry_->Snapshot()->Find("k"), nullptr);
  retirer_.Drain();
  EXPECT_TRUE(registry_->List().empty());
}

TEST_F(ReloadCoordinatorTest, NamedRequestsReportNotFound) {
  std::promise<ReloadCoordinator::Outcome> outcome;
  coordinator_->Submit(ReloadCoordinator::Kind::kUnload, "ghost",
                       [&](const auto& o) { outcome.set_value(o); });
  EXPECT_TRUE(outcome.get_future().get().result.not_found);
}

TEST_F(ReloadCoordinatorTest, ShutdownCancelsQueuedRequests) {
  GatedLoader slow;
  auto registry = GatedRegistry(&slow);
  auto coordinator =
      std::make_unique<ReloadCoordinator>(registry.get(), nullptr);
  coordinator->RequestRescan("blocks");
  slow.WaitUntilEntered();
  std::atomic<bool> cancelled{false};
  coordinator->Submit(ReloadCoordinator::Kind::kReload, "k",
                      [&](const auto& o) { cancelled = o.cancelled; });
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    slow.Open();
  });
  coordinator.reset();  // Finishes the running rescan, drops the reload.
  opener.join();
  EXPECT_TRUE(cancelled.load());
  EXPECT_EQ(slow.calls(), 1);
}

// Shutdown stops the coordinator first: what is queued, and what comes
// later, is answered at once, while a load stuck in a plugin is only
// waited for as long as the caller allows.
TEST_F(ReloadCoordinatorTest,
       StopAnswersEveryRequestNotStartedAndWaitsBounded) {
  GatedLoader slow;
  auto registry = GatedRegistry(&slow);
  ReloadCoordinator coordinator(registry.get(), nullptr);
  coordinator.RequestRescan("blocks");
  slow.WaitUntilEntered();
  std::atomic<int> cancelled{0};
  auto count = [&](const ReloadCoordinator::Outcome& o) {
    if (o.cancelled) ++cancelled;
  };
  coordinator.Submit(ReloadCoordinator::Kind::kReload, "k", count);
  coordinator.Stop();
  EXPECT_EQ(cancelled.load(), 1);  // The queued reload, by Stop() itself.
  coordinator.Submit(ReloadCoordinator::Kind::kLoad, "k", count);
  coordinator.RequestRescan("after stop", count);
  EXPECT_EQ(cancelled.load(), 3);  // At once, never queued.

  EXPECT_FALSE(coordinator.WaitUntilIdle(std::chrono::steady_clock::now() +
                                         std::chrono::milliseconds(50)));
  slow.Open();
  EXPECT_TRUE(coordinator.WaitUntilIdle(std::chrono::steady_clock::now() +
                                        std::chrono::seconds(30)));
  EXPECT_EQ(slow.calls(), 1);
}

}  // namespace
}  // namespace classifyd
