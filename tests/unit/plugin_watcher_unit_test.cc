// The plugin watcher on its own, over real inotify: the paths come from a
// test's function and rescans are counted, so each rule is checked without
// a registry (plugin_watcher_test.cc checks the watcher with one).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "registry/plugin_watcher.h"
#include "testing/eventually.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

namespace fs = std::filesystem;
using testing::Eventually;
constexpr auto kQuiet = std::chrono::milliseconds(100);

class PluginWatcherUnitTest : public ::testing::Test {
 protected:
  PluginWatcherUnitTest()
      : plugin_dir_(root_.path() + "/plugins.d"),
        model_dir_(root_.path() + "/models") {
    fs::create_directory(plugin_dir_);
    fs::create_directory(model_dir_);
    targets_.plugin_dir = plugin_dir_;
  }

  void Start() {
    watcher_ = PluginWatcher::Start(
        [this] {
          std::lock_guard lock(mu_);
          return targets_;
        },
        [this] { ++rescans_; }, kQuiet, kQuiet * 4);
    ASSERT_NE(watcher_, nullptr);
  }

  void WatchFile(const std::string& file) {
    std::lock_guard lock(mu_);
    targets_.files.insert(file);
  }

  static void Append(const std::string& path, int line) {
    std::ofstream(path, std::ios::app) << line << "\n";
  }

  testing::TempDir root_;
  const std::string plugin_dir_;
  const std::string model_dir_;
  std::mutex mu_;
  WatchTargets targets_;
  std::atomic<int> rescans_{0};
  std::unique_ptr<PluginWatcher> watcher_;
};

TEST_F(PluginWatcherUnitTest, AnyNameInThePluginDirectoryAsksForARescan) {
  ASSERT_NO_FATAL_FAILURE(Start());
  Append(plugin_dir_ + "/new.toml", 1);
  EXPECT_TRUE(Eventually([&] { return rescans_.load() > 0; }));
}

TEST_F(PluginWatcherUnitTest, ABurstOfChangesIsMergedIntoFewRescans) {
  ASSERT_NO_FATAL_FAILURE(Start());
  for (int i = 0; i < 50; ++i) Append(plugin_dir_ + "/m.toml", i);
  ASSERT_TRUE(Eventually([&] { return rescans_.load() > 0; }));
  std::this_thread::sleep_for(kQuiet * 5);
  // Debounced: a rescan per quiet period or max delay, not per event.
  EXPECT_LT(rescans_.load(), 10);
}

TEST_F(PluginWatcherUnitTest, AFileIsWatchedByNameNotItsNeighbours) {
  const std::string model = model_dir_ + "/model.bin";
  Append(model, 0);
  WatchFile(model);
  ASSERT_NO_FATAL_FAILURE(Start());
  for (int i = 0; i < 20; ++i) Append(model_dir_ + "/busy.log", i);
  std::this_thread::sleep_for(kQuiet * 5);
  EXPECT_EQ(rescans_.load(), 0) << "rescans for busy.log";

  // Replaced by rename, as deployment tools do.
  Append(model_dir_ + "/.model.tmp", 1);
  fs::rename(model_dir_ + "/.model.tmp", model);
  EXPECT_TRUE(Eventually([&] { return rescans_.load() > 0; }));
}

TEST_F(PluginWatcherUnitTest, PathsAddedLaterAreWatchedAfterARefresh) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string later_dir = root_.path() + "/later";
  fs::create_directory(later_dir);
  const std::string model = later_dir + "/model.bin";
  WatchFile(model);
  // The watcher asks for its paths again at least every second.
  int line = 0;
  EXPECT_TRUE(Eventually([&] {
    Append(model, ++line);
    return rescans_.load() > 0;
  }));
}

TEST_F(PluginWatcherUnitTest, AMissingPluginDirectoryIsWaitedFor) {
  fs::remove_all(plugin_dir_);
  ASSERT_NO_FATAL_FAILURE(Start());
  fs::create_directory(root_.path() + "/next");
  Append(root_.path() + "/next/a.toml", 1);
  fs::rename(root_.path() + "/next", plugin_dir_);
  EXPECT_TRUE(Eventually([&] { return rescans_.load() > 0; }));
}

}  // namespace
}  // namespace classifyd
