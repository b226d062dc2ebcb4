// The plugin watcher over a real registry, coordinator and inotify: a
// plugin directory that is deleted or renamed away and then comes back
// (as deployment tools replace a whole directory) is rescanned, while
// files coming and going beside it in its parent are not a reason to; a
// classifier's files are watched by name, so a busy file beside a model
// asks for no rescan, and a file in a system directory is watched by
// itself. Rescans are counted by the coordinator (completed()).
#include "registry/plugin_watcher.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <unistd.h>

#include "testing/daemon_process.h"
#include "testing/eventually.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

namespace fs = std::filesystem;
using testing::Eventually;
using testing::KeywordManifest;

constexpr auto kQuietPeriod = std::chrono::milliseconds(50);

class PluginWatcherTest : public ::testing::Test {
 protected:
  PluginWatcherTest() : dir_(root_.path() + "/plugins.d") {
    fs::create_directory(dir_);
    Write(dir_, "a.toml", KeywordManifest("x=ex"));
    Write(dir_, "b.toml", KeywordManifest("y=why"));
    ClassifierRegistry::Options options;
    options.plugin_dir = dir_;
    options.plugin_lib_dir = testing::TestPluginDir();
    // Watching is what these tests check. One puts a file in /tmp, which
    // the trust checks would refuse for being world-writable.
    options.strict_modes = false;
    registry_ = std::make_unique<ClassifierRegistry>(options, &retirer_);
    registry_->Reconcile();
    coordinator_ = std::make_unique<ReloadCoordinator>(registry_.get(), [] {});
  }

  ~PluginWatcherTest() override {
    watcher_.reset();
    coordinator_.reset();
  }

  static void Write(const std::string& dir, const std::string& name,
                    const std::string& contents) {
    std::ofstream(dir + "/" + name) << contents;
  }

  void StartWatcher() {
    watcher_ = PluginWatcher::Start(registry_.get(), coordinator_.get(),
                                    kQuietPeriod, kQuietPeriod * 4);
    ASSERT_NE(watcher_, nullptr);
  }

  std::set<std::string> Serving() const {
    std::set<std::string> names;
    // Held for the loop: a temporary snapshot would die before it, while
    // the reload thread publishes the next one.
    const auto snapshot = registry_->Snapshot();
    for (const auto& c : snapshot->classifiers) names.insert(c->name());
    return names;
  }

  // A plugin directory holding only a.toml, complete before it appears
  // under `dir_` by rename (so no event happens inside the new directory).
  std::string PrepareReplacement() {
    const std::string next = root_.path() + "/plugins.next";
    fs::create_directory(next);
    Write(next, "a.toml", KeywordManifest("x=ex"));
    return next;
  }

  // Waits for the rescan that the directory's disappearance asks for,
  // which finds nothing to change, and for the watcher to settle.
  void WaitForRescanAfter(uint64_t completed) {
    ASSERT_TRUE(
        Eventually([&] { return coordinator_->completed() > completed; }));
    std::this_thread::sleep_for(kQuietPeriod * 10);
  }

  testing::TempDir root_;
  const std::string dir_;
  Retirer retirer_;
  std::unique_ptr<ClassifierRegistry> registry_;
  std::unique_ptr<ReloadCoordinator> coordinator_;
  std::unique_ptr<PluginWatcher> watcher_;
};

TEST_F(PluginWatcherTest, ADeletedAndRecreatedDirectoryIsRescanned) {
  ASSERT_EQ(Serving(), (std::set<std::string>{"a", "b"}));
  ASSERT_NO_FATAL_FAILURE(StartWatcher());

  const uint64_t before = coordinator_->completed();
  fs::remove_all(dir_);
  ASSERT_NO_FATAL_FAILURE(WaitForRescanAfter(before));
  EXPECT_EQ(Serving(), (std::set<std::string>{"a", "b"}))
      << "a missing directory changes nothing";

  // Other files in the parent while it is missing: no rescan.
  const uint64_t settled = coordinator_->completed();
  Write(root_.path(), "unrelated.txt", "x");
  fs::create_directory(root_.path() + "/unrelated.d");
  std::this_thread::sleep_for(kQuietPeriod * 10);
  EXPECT_EQ(coordinator_->completed(), settled);

  fs::rename(PrepareReplacement(), dir_);
  EXPECT_TRUE(Eventually([&] {
    return Serving() == std::set<std::string>{"a"};
  })) << "b is still serving";

  // And the new directory is watched in turn.
  Write(dir_, "c.toml", KeywordManifest("z=zed"));
  EXPECT_TRUE(Eventually([&] {
    return Serving() == std::set<std::string>{"a", "c"};
  }));
}

TEST_F(PluginWatcherTest, ADirectoryRenamedAwayAndReplacedIsRescanned) {
  ASSERT_NO_FATAL_FAILURE(StartWatcher());
  const uint64_t before = coordinator_->completed();
  // The watch would follow the directory to its new name.
  fs::rename(dir_, root_.path() + "/plugins.old");
  ASSERT_NO_FATAL_FAILURE(WaitForRescanAfter(before));
  EXPECT_EQ(Serving(), (std::set<std::string>{"a", "b"}));

  fs::rename(PrepareReplacement(), dir_);
  EXPECT_TRUE(Eventually([&] {
    return Serving() == std::set<std::string>{"a"};
  })) << "b is still serving";

  // Changes in the old directory no longer count. The replacement may
  // bring a second rescan (the name appearing, then its files): wait until
  // the count stays put before taking it.
  uint64_t settled = coordinator_->completed();
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(kQuietPeriod * 10);
    const uint64_t now = coordinator_->completed();
    if (now == settled) break;
    settled = now;
  }
  Write(root_.path() + "/plugins.old", "d.toml", KeywordManifest("w=wee"));
  std::this_thread::sleep_for(kQuietPeriod * 10);
  EXPECT_EQ(coordinator_->completed(), settled);
  EXPECT_EQ(Serving(), (std::set<std::string>{"a"}));
}

TEST_F(PluginWatcherTest, ADirectoryThatDidNotExistIsScannedWhenItAppears) {
  fs::remove_all(dir_);
  registry_->Reconcile();  // Nothing changes: the old set keeps serving.
  ASSERT_NO_FATAL_FAILURE(StartWatcher());
  const uint64_t before = coordinator_->completed();
  std::this_thread::sleep_for(kQuietPeriod * 10);
  EXPECT_EQ(coordinator_->completed(), before);

  fs::rename(PrepareReplacement(), dir_);
  EXPECT_TRUE(
      Eventually([&] { return Serving() == std::set<std::string>{"a"}; }));
}

// A manifest of the keyword plugin whose calibration file is `calibration`
// (absolute): while that file is missing, the classifier is FAILED.
std::string ManifestWithCalibration(const std::string& calibration) {
  return "calibration = \"" + calibration + "\"\n" +
         KeywordManifest("x=ex", "score = 0.5");
}

constexpr char kCalibration[] = "# classifyd calibration v1\nex\t0:0 1:1\n";

TEST_F(PluginWatcherTest, ABusyFileBesideAFailedClassifiersModelAsksForNoRescan) {
  testing::TempDir models;
  Write(dir_, "c.toml", ManifestWithCalibration(models.path() + "/cal.tsv"));
  ASSERT_EQ(registry_->Reconcile().failed, 1);
  ASSERT_NO_FATAL_FAILURE(StartWatcher());

  const uint64_t before = coordinator_->completed();
  for (int i = 0; i < 50; ++i) {
    std::ofstream(models.path() + "/busy.log", std::ios::app) << i << "\n";
    std::this_thread::sleep_for(kQuietPeriod / 5);
  }
  std::this_thread::sleep_for(kQuietPeriod * 10);
  EXPECT_EQ(coordinator_->completed(), before) << "rescans for busy.log";

  // The file it waits for, by name: the classifier loads.
  Write(models.path(), "cal.tsv", kCalibration);
  EXPECT_TRUE(Eventually([&] {
    return Serving() == std::set<std::string>{"a", "b", "c"};
  }));
}

TEST_F(PluginWatcherTest, AFileInASystemDirectoryIsWatchedByItself) {
  // /tmp itself, not a directory of the test's own: a system directory.
  const std::string unique = "/tmp/classifyd-watch-" +
                             std::to_string(getpid()) + "-" +
                             fs::path(root_.path()).filename().string();
  const std::string calibration = unique + ".tsv";
  const std::string neighbour = unique + ".log";
  Write(dir_, "c.toml", ManifestWithCalibration(calibration));
  ASSERT_EQ(registry_->Reconcile().failed, 1);
  ASSERT_NO_FATAL_FAILURE(StartWatcher());

  const uint64_t before = coordinator_->completed();
  for (int i = 0; i < 20; ++i) {
    std::ofstream(neighbour, std::ios::app) << i << "\n";
    std::this_thread::sleep_for(kQuietPeriod / 5);
  }
  std::this_thread::sleep_for(kQuietPeriod * 10);
  fs::remove(neighbour);
  EXPECT_EQ(coordinator_->completed(), before) << "/tmp is watched";

  // Missing, it is looked for every second; once there, it loads.
  Write("/tmp", fs::path(calibration).filename().string(), kCalibration);
  EXPECT_TRUE(Eventually([&] {
    return Serving() == std::set<std::string>{"a", "b", "c"};
  }));
  // A change to it, watched by itself now, is seen too.
  const uint64_t loaded = registry_->Snapshot()->Find("c")->generation();
  Write("/tmp", fs::path(calibration).filename().string(),
        "# classifyd calibration v1\nex\t0:0 1:0.5\n");
  EXPECT_TRUE(Eventually([&] {
    const auto snapshot = registry_->Snapshot();
    return snapshot->Find("c") != nullptr &&
           snapshot->Find("c")->generation() > loaded;
  }));
  fs::remove(calibration);
}

}  // namespace
}  // namespace classifyd
