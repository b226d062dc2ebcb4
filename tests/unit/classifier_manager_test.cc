// The registry's manager (registry/classifier_manager.h), fed versions by
// hand: states, publishing, keeping the old generation, retiring.
#include "registry/classifier_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::HasSubstr;
using testing::KeywordManifest;
using Versions = std::vector<ManifestVersion>;

class RegistryManagerTest : public ::testing::Test {
 protected:
  RegistryManagerTest() {
    ClassifierLoader::Options options;
    options.factory = [this](const Manifest& manifest, uint64_t generation)
        -> absl::StatusOr<std::unique_ptr<Classifier>> {
      if (refuse_) return absl::FailedPreconditionError("refused for test");
      auto library = PluginLibrary::Open(manifest.library_path);
      if (!library.ok()) return library.status();
      return Classifier::Create(manifest, *library, generation);
    };
    loader_ = std::make_unique<ClassifierLoader>(options, &control_);
    manager_ = std::make_unique<ClassifierManager>(loader_.get());
  }

  // Version `name` of keyword rules `rules`, its files stamped `stamp`.
  ManifestVersion Version(const std::string& name, const std::string& rules,
                          off_t stamp) {
    const std::string path =
        dir_.WriteFile(name + ".toml", KeywordManifest(rules));
    auto parsed = LoadManifest(path, testing::TestPluginDir());
    ManifestVersion v{name, path, parsed, {}, {}};
    v.stamps.resize(5);
    v.stamps[0].size = stamp;
    v.files = {v.manifest->library_path, "", "", ""};
    return v;
  }

  ClassifierStatus Status(const std::string& name) {
    for (const ClassifierStatus& s : manager_->List()) {
      if (s.name == name) return s;
    }
    ADD_FAILURE() << "no entry " << name;
    return {};
  }

  testing::TempDir dir_;
  Retirer control_{/*trim=*/false};
  std::atomic<bool> refuse_{false};
  std::unique_ptr<ClassifierLoader> loader_;
  std::unique_ptr<ClassifierManager> manager_;
};

TEST_F(RegistryManagerTest, PublishesANewSnapshotOnlyWhenSomethingChanged) {
  auto empty = manager_->Snapshot();
  EXPECT_TRUE(empty->classifiers.empty());
  EXPECT_EQ(manager_->Apply(Versions{Version("k", "x=one", 1)}, "").loaded, 1);
  auto first = manager_->Snapshot();
  ASSERT_NE(first->Find("k"), nullptr);
  EXPECT_EQ(Status("k").state, ClassifierState::kReady);

  EXPECT_EQ(manager_->Apply(Versions{Version("k", "x=one", 1)}, "").unchanged,
            1);
  EXPECT_EQ(manager_->Snapshot(), first);  // Nothing published.

  EXPECT_EQ(manager_->Apply(Versions{Version("k", "x=two", 2)}, "").loaded, 1);
  EXPECT_NE(manager_->Snapshot(), first);
  EXPECT_GT(manager_->Snapshot()->Find("k")->generation(),
            first->Find("k")->generation());
  EXPECT_TRUE(manager_->WatchedFiles().count(testing::TestPluginDir() +
                                             "/keyword.so"));
}

TEST_F(RegistryManagerTest, AFailedLoadKeepsTheServingGeneration) {
  manager_->Apply(Versions{Version("k", "x=one", 1)}, "");
  const uint64_t serving = manager_->Snapshot()->Find("k")->generation();
  refuse_ = true;
  EXPECT_EQ(manager_->Apply(Versions{Version("k", "x=two", 2)}, "").failed, 1);
  EXPECT_EQ(Status("k").state, ClassifierState::kFailed);
  EXPECT_THAT(Status("k").error, HasSubstr("refused for test"));
  EXPECT_EQ(manager_->Snapshot()->Find("k")->generation(), serving);
  // The same files are not retried...
  EXPECT_EQ(manager_->Apply(Versions{Version("k", "x=two", 2)}, "").unchanged,
            1);
  // ...and going back to the serving files makes it READY without a load.
  auto back = manager_->Apply(Versions{Version("k", "x=one", 1)}, "");
  EXPECT_EQ(back.unchanged, 1);
  EXPECT_EQ(back.loaded, 0);
  EXPECT_EQ(Status("k").state, ClassifierState::kReady);
  EXPECT_EQ(Status("k").error, "");
}

TEST_F(RegistryManagerTest, ANewEntryGoesFromFailedToReadyWhenFixed) {
  ManifestVersion broken = Version("k", "x=one", 1);
  broken.manifest = absl::InvalidArgumentError("manifest is broken");
  EXPECT_EQ(manager_->Apply(Versions{broken}, "").failed, 1);
  EXPECT_EQ(Status("k").state, ClassifierState::kFailed);
  EXPECT_EQ(Status("k").error, "manifest is broken");
  EXPECT_EQ(Status("k").serving, nullptr);
  EXPECT_FALSE(manager_->HasReady());

  EXPECT_EQ(manager_->Apply(Versions{Version("k", "x=one", 2)}, "").loaded, 1);
  EXPECT_EQ(Status("k").state, ClassifierState::kReady);
  EXPECT_TRUE(manager_->HasReady());
}

TEST_F(RegistryManagerTest, ARemovedGenerationIsUnloadingUntilItsLastRequest) {
  manager_->Apply(Versions{Version("k", "x=one", 1)}, "");
  auto held = manager_->Snapshot();  // A request in flight.
  EXPECT_EQ(manager_->Apply(Versions{}, "").removed, 1);
  EXPECT_TRUE(manager_->Snapshot()->classifiers.empty());
  EXPECT_FALSE(manager_->Has("k"));
  ASSERT_EQ(manager_->List().size(), 1u);
  EXPECT_EQ(Status("k").state, ClassifierState::kUnloading);

  control_.Drain();
  EXPECT_EQ(control_.completed(), 0u);  // Still held.
  held.reset();
  control_.Drain();
  EXPECT_EQ(control_.completed(), 1u);
  EXPECT_TRUE(manager_->List().empty());
}

TEST_F(RegistryManagerTest, AFailedScanChangesNothing) {
  manager_->Apply(Versions{Version("k", "x=one", 1)}, "");
  auto snapshot = manager_->Snapshot();
  auto refused = manager_->Apply(
      absl::FailedPreconditionError("plugin directory is untrusted"), "k");
  EXPECT_TRUE(refused.not_found);
  EXPECT_EQ(refused.removed, 0);
  auto unreadable =
      manager_->Apply(absl::UnavailableError("cannot read it"), "");
  EXPECT_FALSE(unreadable.not_found);
  EXPECT_EQ(manager_->Snapshot(), snapshot);
  EXPECT_EQ(Status("k").state, ClassifierState::kReady);
}

TEST_F(RegistryManagerTest, AForcedReloadBuildsANewGenerationOrIsNotFound) {
  manager_->Apply(Versions{Version("k", "x=one", 1)}, "");
  const uint64_t first = manager_->Snapshot()->Find("k")->generation();
  EXPECT_EQ(manager_->Apply(Versions{Version("k", "x=one", 1)}, "k").loaded, 1);
  EXPECT_GT(manager_->Snapshot()->Find("k")->generation(), first);
  EXPECT_TRUE(
      manager_->Apply(Versions{Version("k", "x=one", 1)}, "ghost").not_found);
}

}  // namespace
}  // namespace classifyd
