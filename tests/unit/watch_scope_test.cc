// What the plugin watcher watches: names in directories, never a system
// directory.
#include "registry/watch_scope.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using Names = std::set<std::string>;

TEST(WatchScopeTest, SystemAndSharedDirectoriesAreRecognised) {
  for (const char* dir : {"/", "/tmp", "/etc", "/usr", "/usr/lib", "/var/tmp",
                          "/usr/lib/x86_64-linux-gnu", "/home"}) {
    EXPECT_TRUE(IsSystemDirectory(dir)) << dir;
  }
  testing::TempDir own;
  EXPECT_FALSE(IsSystemDirectory(own.path()));
  EXPECT_FALSE(IsSystemDirectory("/etc/classifyd/plugins.d"));
  EXPECT_FALSE(IsSystemDirectory("/usr/share/classifyd/models/news-topics"));
  // A world-writable sticky directory is a shared scratch directory.
  ASSERT_EQ(chmod(own.path().c_str(), 01777), 0);
  EXPECT_TRUE(IsSystemDirectory(own.path()));
  ASSERT_EQ(chmod(own.path().c_str(), 0700), 0);
}

TEST(WatchScopeTest, FilesAreWatchedByNameInTheirDirectories) {
  const WatchScope scope = PlanWatches(
      "/etc/classifyd/plugins.d",
      {"/srv/models/news/model.ftz", "/srv/models/news/calibration.tsv",
       "/etc/classifyd/plugins.d/rules.toml",
       "/usr/lib/x86_64-linux-gnu/classifyd/plugins/fasttext.so"},
      {"/etc/classifyd/plugins.d/news.toml"});
  EXPECT_EQ(scope.directories.at("/etc/classifyd/plugins.d"), Names{})
      << "the plugin directory: every name";
  EXPECT_EQ(scope.directories.at("/srv/models/news"),
            (Names{"calibration.tsv", "model.ftz"}));
  EXPECT_EQ(scope.directories.at(
                "/usr/lib/x86_64-linux-gnu/classifyd/plugins"),
            Names{"fasttext.so"});
  EXPECT_EQ(scope.directories.size(), 3u);
  EXPECT_TRUE(scope.files.empty());
  EXPECT_TRUE(scope.refused_plugin_dir.empty());
}

TEST(WatchScopeTest, FilesInSystemDirectoriesAreWatchedByThemselves) {
  const WatchScope scope =
      PlanWatches("/srv/plugins.d", {"/tmp/rules.toml", "/etc/model.ftz"}, {});
  EXPECT_EQ(scope.files, (Names{"/etc/model.ftz", "/tmp/rules.toml"}));
  EXPECT_EQ(scope.directories.size(), 1u);
  EXPECT_EQ(scope.directories.count("/tmp"), 0u);
}

TEST(WatchScopeTest, ASystemPluginDirectoryIsRefusedAndItsManifestsWatched) {
  const WatchScope scope =
      PlanWatches("/tmp", {"/srv/m/model.ftz"}, {"/tmp/news.toml"});
  EXPECT_EQ(scope.refused_plugin_dir, "/tmp");
  EXPECT_EQ(scope.directories.count("/tmp"), 0u);
  EXPECT_EQ(scope.files, Names{"/tmp/news.toml"});
  EXPECT_EQ(scope.directories.at("/srv/m"), Names{"model.ftz"});
}

}  // namespace
}  // namespace classifyd
