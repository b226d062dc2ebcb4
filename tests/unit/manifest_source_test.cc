// The registry's source (registry/manifest_source.h): what a scan of the
// plugin directory reports, and the set of classifiers unloaded on request.
#include "registry/manifest_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::KeywordManifest;

class RegistrySourceTest : public ::testing::Test {
 protected:
  ManifestSource MakeSource(bool strict_modes = true) {
    return ManifestSource({dir_.path(), testing::TestPluginDir(), strict_modes});
  }

  // Replaces `name` by rename, so that its stamp surely changes.
  void Write(const std::string& name, const std::string& text) {
    dir_.WriteFile(".tmp", text);
    fs::rename(dir_.path() + "/.tmp", dir_.path() + "/" + name);
  }

  static std::vector<std::string> Names(
      const std::vector<ManifestVersion>& versions) {
    std::vector<std::string> names;
    for (const ManifestVersion& v : versions) names.push_back(v.name);
    return names;
  }

  testing::TempDir dir_;
};

TEST_F(RegistrySourceTest, ScanListsManifestsByNameAndSkipsOtherFiles) {
  Write("b.toml", KeywordManifest("x=one"));
  Write("a.toml", KeywordManifest("y=two"));
  dir_.WriteFile(".hidden.toml", KeywordManifest("x=one"));
  dir_.WriteFile("README.md", "not a manifest");
  fs::create_directory(dir_.path() + "/dir.toml");
  ManifestSource source = MakeSource();
  auto versions = source.Scan();
  ASSERT_TRUE(versions.ok()) << versions.status();
  EXPECT_THAT(Names(*versions), ElementsAre("a", "b"));
  const ManifestVersion& a = (*versions)[0];
  EXPECT_EQ(a.manifest_path, dir_.path() + "/a.toml");
  ASSERT_TRUE(a.manifest.ok()) << a.manifest.status();
  EXPECT_EQ(a.manifest->library_path, testing::TestPluginDir() + "/keyword.so");
  // Library, model, calibration, warm-up file; the manifest stamped first.
  ASSERT_EQ(a.files.size(), 4u);
  EXPECT_EQ(a.files[0], a.manifest->library_path);
  ASSERT_EQ(a.stamps.size(), 5u);
  EXPECT_GT(a.stamps[0].size, 0);
  EXPECT_GT(a.stamps[1].size, 0);   // keyword.so
  EXPECT_EQ(a.stamps[2].size, -1);  // No model.
}

TEST_F(RegistrySourceTest, AnInvalidManifestIsListedWithWhy) {
  Write("typo.toml", "plugin = \"x\"\nmodle = \"m\"\n");
  auto versions = MakeSource().Scan();
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 1u);
  const ManifestVersion& v = (*versions)[0];
  EXPECT_FALSE(v.manifest.ok());
  EXPECT_THAT(std::string(v.manifest.status().message()),
              HasSubstr("unknown key 'modle'"));
  EXPECT_EQ(v.stamps.size(), 1u);  // The manifest's own.
  EXPECT_TRUE(v.files.empty());
}

TEST_F(RegistrySourceTest, ADisabledManifestStaysOutUntilEnabledOrChanged) {
  Write("k.toml", KeywordManifest("x=one"));
  ManifestSource source = MakeSource();
  source.Disable("k");
  EXPECT_TRUE(source.Scan()->empty());
  EXPECT_TRUE(source.Scan()->empty());
  source.Enable("k");
  EXPECT_THAT(Names(*source.Scan()), ElementsAre("k"));

  source.Disable("k");
  Write("k.toml", KeywordManifest("x=two"));  // An edit enables it again.
  EXPECT_THAT(Names(*source.Scan()), ElementsAre("k"));
  EXPECT_THAT(Names(*source.Scan()), ElementsAre("k"));
}

TEST_F(RegistrySourceTest, StrictModesRefuseAWorldWritableDirectoryOrManifest) {
  Write("k.toml", KeywordManifest("x=one"));
  fs::permissions(dir_.path() + "/k.toml", fs::perms::others_write,
                  fs::perm_options::add);
  auto versions = MakeSource().Scan();
  ASSERT_TRUE(versions.ok());
  EXPECT_THAT(std::string((*versions)[0].manifest.status().message()),
              HasSubstr("writable by every user"));
  EXPECT_TRUE((*MakeSource(/*strict_modes=*/false).Scan())[0].manifest.ok());

  fs::permissions(dir_.path(), fs::perms::others_write, fs::perm_options::add);
  versions = MakeSource().Scan();
  EXPECT_TRUE(absl::IsFailedPrecondition(versions.status()));
  EXPECT_THAT(std::string(versions.status().message()),
              HasSubstr("plugin directory"));
  fs::permissions(dir_.path(), fs::perms::others_write,
                  fs::perm_options::remove);
}

TEST_F(RegistrySourceTest, AMissingDirectoryIsUnavailable) {
  ManifestSource source({dir_.path() + "/gone", testing::TestPluginDir(),
                         /*strict_modes=*/false});
  auto versions = source.Scan();
  EXPECT_TRUE(absl::IsUnavailable(versions.status())) << versions.status();
  EXPECT_THAT(std::string(versions.status().message()),
              HasSubstr("cannot read plugin directory"));
  EXPECT_EQ(source.PluginDirectory(), dir_.path() + "/gone");
}

}  // namespace
}  // namespace classifyd
