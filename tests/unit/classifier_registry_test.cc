#include "registry/classifier_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::KeywordManifest;

class ClassifierRegistryTest : public ::testing::Test {
 protected:
  ClassifierRegistryTest() { Recreate({}); }

  // A new registry over the same directory, loading through `loader` (the
  // real plugin loader when empty).
  void Recreate(ClassifierLoader::Factory loader) {
    ClassifierRegistry::Options options;
    options.plugin_dir = plugins_.path();
    options.plugin_lib_dir = testing::PluginLibDir();
    options.private_lib_dir = private_.path();
    options.factory = std::move(loader);
    registry_ = std::make_unique<ClassifierRegistry>(options, &retirer_);
  }

  // Rewrites a manifest so its stamp surely changes (new inode via rename).
  void Write(const std::string& name, const std::string& text) {
    plugins_.WriteFile("." + name + ".tmp", text);
    std::filesystem::rename(plugins_.path() + "/." + name + ".tmp",
                            plugins_.path() + "/" + name);
  }

  const ClassifierStatus* Find(const std::vector<ClassifierStatus>& list,
                               const std::string& name) {
    for (const auto& s : list) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }

  testing::TempDir plugins_;
  testing::TempDir private_;
  Retirer retirer_;
  std::unique_ptr<ClassifierRegistry> registry_;
};

TEST_F(ClassifierRegistryTest, LoadsEveryManifestAndSkipsOtherFiles) {
  Write("a.toml", KeywordManifest("x=one"));
  Write("b.toml", KeywordManifest("y=two"));
  plugins_.WriteFile("README.md", "not a manifest");
  plugins_.WriteFile(".hidden.toml", "plugin = \"nope\"");
  auto result = registry_->Reconcile();
  EXPECT_EQ(result.loaded, 2);
  EXPECT_EQ(result.failed, 0);
  auto snapshot = registry_->Snapshot();
  ASSERT_EQ(snapshot->classifiers.size(), 2u);
  EXPECT_NE(snapshot->Find("a"), nullptr);
  EXPECT_NE(snapshot->Find("b"), nullptr);
  EXPECT_EQ(snapshot->Find("c"), nullptr);
  EXPECT_NE(snapshot->Find("a")->generation(),
            snapshot->Find("b")->generation());
  EXPECT_TRUE(registry_->HasReady());
}

TEST_F(ClassifierRegistryTest, ListsBrokenManifestsAsFailedWithTheReason) {
  Write("good.toml", KeywordManifest("x=one"));
  Write("typo.toml", "plugin = \"x\"\nmodle = \"m\"\n");
  Write("abi.toml", "plugin = \"" + testing::TestPluginDir() +
                        "/bad_abi_major.so\"\n");
  auto result = registry_->Reconcile();
  EXPECT_EQ(result.loaded, 1);
  EXPECT_EQ(result.failed, 2);
  auto list = registry_->List();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(Find(list, "good")->state, ClassifierState::kReady);
  EXPECT_EQ(Find(list, "typo")->state, ClassifierState::kFailed);
  EXPECT_THAT(Find(list, "typo")->error, HasSubstr("unknown key 'modle'"));
  EXPECT_EQ(Find(list, "abi")->state, ClassifierState::kFailed);
  EXPECT_THAT(Find(list, "abi")->error, HasSubstr("major version must match"));
  EXPECT_EQ(Find(list, "abi")->serving, nullptr);
  EXPECT_EQ(registry_->Snapshot()->classifiers.size(), 1u);
}

TEST_F(ClassifierRegistryTest, KeepsOldVersionServingWhenNewLoadFails) {
  Write("k.toml", KeywordManifest("x=one"));
  registry_->Reconcile();
  const uint64_t generation = registry_->Snapshot()->Find("k")->generation();

  Write("k.toml", KeywordManifest("x=one", "fail_create = true"));
  auto result = registry_->Reconcile();
  EXPECT_EQ(result.failed, 1);
  const Classifier* serving = registry_->Snapshot()->Find("k");
  ASSERT_NE(serving, nullptr);
  EXPECT_EQ(serving->generation(), generation);
  auto list = registry_->List();
  EXPECT_EQ(list[0].state, ClassifierState::kFailed);
  EXPECT_THAT(list[0].error, HasSubstr("fail_create is set"));
  ASSERT_NE(list[0].serving, nullptr);
  EXPECT_EQ(list[0].serving->generation(), generation);

  // An unchanged broken manifest is not retried on every rescan.
  EXPECT_EQ(registry_->Reconcile().failed, 0);

  // Fixing it loads a newer generation.
  Write("k.toml", KeywordManifest("x=two"));
  EXPECT_EQ(registry_->Reconcile().loaded, 1);
  EXPECT_GT(registry_->Snapshot()->Find("k")->generation(), generation);
  EXPECT_EQ(registry_->List()[0].state, ClassifierState::kReady);
  EXPECT_EQ(registry_->List()[0].error, "");
}

TEST_F(ClassifierRegistryTest, UnchangedFilesAreNotReloaded) {
  Write("k.toml", KeywordManifest("x=one"));
  registry_->Reconcile();
  const uint64_t generation = registry_->Snapshot()->Find("k")->generation();
  auto result = registry_->Reconcile();
  EXPECT_EQ(result.loaded, 0);
  EXPECT_EQ(result.unchanged, 1);
  EXPECT_EQ(registry_->Snapshot()->Find("k")->generation(), generation);
}

TEST_F(ClassifierRegistryTest, UnloadsOnlyAfterTheLastReference) {
  Write("k.toml", KeywordManifest("x=one"));
  registry_->Reconcile();
  auto held = registry_->Snapshot();  // An in-flight request.
  ASSERT_NE(held->Find("k"), nullptr);

  std::filesystem::remove(plugins_.path() + "/k.toml");
  EXPECT_EQ(registry_->Reconcile().removed, 1);
  EXPECT_TRUE(registry_->Snapshot()->classifiers.empty());
  {
    auto list = registry_->List();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].state, ClassifierState::kUnloading);
  }

  // The request can still classify with what it holds.
  std::vector<DocumentOutcome> out;
  std::string_view texts[] = {"x"};
  held->Find("k")->ClassifyBatch(texts, 5, 0.0f, &out);
  ASSERT_EQ(out[0].labels.size(), 1u);

  retirer_.Drain();
  const size_t retired_before = retirer_.completed();
  held.reset();  // Last reference: destruction is queued to the retirer.
  retirer_.Drain();
  EXPECT_EQ(retirer_.completed(), retired_before + 1);
  EXPECT_TRUE(registry_->List().empty());
}

TEST_F(ClassifierRegistryTest, ServesOtherClassifiersWhileOneIsBroken) {
  Write("good.toml", KeywordManifest("x=one"));
  Write("bad.toml", "plugin = \"" + testing::TestPluginDir() +
                        "/bad_entry_throws.so\"\n");
  registry_->Reconcile();
  EXPECT_EQ(registry_->Snapshot()->classifiers.size(), 1u);
}

// Requests keep classifying on snapshots while another thread reloads the
// same classifier over and over; under TSan this also checks the snapshot
// hand-over for races.
TEST_F(ClassifierRegistryTest, ConcurrentRequestsDuringReloadsNeverFail) {
  Write("k.toml", KeywordManifest("x=one"));
  registry_->Reconcile();
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::atomic<int> classified{0};
  std::vector<std::thread> requesters;
  for (int t = 0; t < 3; ++t) {
    requesters.emplace_back([&] {
      std::vector<DocumentOutcome> out;
      std::string_view texts[] = {"x marks", "nothing"};
      while (!stop.load()) {
        auto snapshot = registry_->Snapshot();
        const Classifier* c = snapshot->Find("k");
        if (c == nullptr) {
          failures++;
          continue;
        }
        c->ClassifyBatch(texts, 5, 0.0f, &out);
        if (out[0].code != CLASSIFYD_OK || out[0].labels.size() != 1) {
          failures++;
        }
        classified++;
      }
    });
  }
  for (int i = 0; i < 20; ++i) {
    Write("k.toml", KeywordManifest(i % 2 ? "x=one" : "x=uno"));
    EXPECT_EQ(registry_->Reconcile().loaded, 1);
  }
  stop = true;
  for (auto& t : requesters) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(classified.load(), 0);
  retirer_.Drain();
}


TEST_F(ClassifierRegistryTest, ForcedReloadBuildsANewGenerationFromSameFiles) {
  Write("k.toml", KeywordManifest("x=one"));
  registry_->Reconcile();
  const uint64_t first = registry_->Snapshot()->Find("k")->generation();
  auto result = registry_->Reconcile("k");
  EXPECT_EQ(result.loaded, 1);
  EXPECT_GT(registry_->Snapshot()->Find("k")->generation(), first);
  EXPECT_TRUE(registry_->Reconcile("nope").not_found);
}

TEST_F(ClassifierRegistryTest, UnloadStaysUnloadedUntilLoadOrAnEdit) {
  Write("k.toml", KeywordManifest("x=one"));
  registry_->Reconcile();
  EXPECT_TRUE(registry_->Unload("missing").not_found);
  EXPECT_EQ(registry_->Unload("k").removed, 1);
  EXPECT_EQ(registry_->Snapshot()->Find("k"), nullptr);
  registry_->Reconcile();  // A rescan does not bring it back...
  EXPECT_EQ(registry_->Snapshot()->Find("k"), nullptr);
  EXPECT_EQ(registry_->Load("k").loaded, 1);  // ...Load does.
  EXPECT_NE(registry_->Snapshot()->Find("k"), nullptr);

  registry_->Unload("k");
  Write("k.toml", KeywordManifest("x=two"));  // So does an edit.
  EXPECT_EQ(registry_->Reconcile().loaded, 1);
  EXPECT_NE(registry_->Snapshot()->Find("k"), nullptr);
  EXPECT_TRUE(registry_->Load("absent").not_found);
}

TEST_F(ClassifierRegistryTest, StrictModesRefuseWorldWritableFiles) {
  testing::TempDir libs;
  const std::string lib = libs.path() + "/keyword.so";
  std::filesystem::copy_file(testing::TestPluginDir() + "/keyword.so", lib);
  Write("k.toml", "plugin = \"" + lib + "\"\n[options]\nrules = \"x=y\"\n");
  std::filesystem::permissions(lib, std::filesystem::perms::others_write,
                               std::filesystem::perm_options::add);
  registry_->Reconcile();
  auto list = registry_->List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].state, ClassifierState::kFailed);
  EXPECT_THAT(list[0].error, HasSubstr("writable by every user"));

  std::filesystem::permissions(lib, std::filesystem::perms::others_write,
                               std::filesystem::perm_options::remove);
  std::filesystem::permissions(libs.path(),
                               std::filesystem::perms::others_write,
                               std::filesystem::perm_options::add);
  registry_->Reconcile("k");
  EXPECT_THAT(registry_->List()[0].error,
              HasSubstr("plugin library directory"));

  std::filesystem::permissions(libs.path(),
                               std::filesystem::perms::others_write,
                               std::filesystem::perm_options::remove);
  EXPECT_EQ(registry_->Reconcile("k").loaded, 1);

  // A world-writable plugin directory stops every change.
  std::filesystem::permissions(plugins_.path(),
                               std::filesystem::perms::others_write,
                               std::filesystem::perm_options::add);
  Write("other.toml", KeywordManifest("x=one"));
  EXPECT_EQ(registry_->Reconcile().loaded, 0);
  EXPECT_EQ(registry_->Snapshot()->Find("other"), nullptr);
  std::filesystem::permissions(plugins_.path(),
                               std::filesystem::perms::others_write,
                               std::filesystem::perm_options::remove);
}

TEST_F(ClassifierRegistryTest, WatchesThePluginDirAndEveryReferencedDir) {
  testing::TempDir models;
  Write("k.toml", KeywordManifest("x=one"));
  Write("m.toml", "plugin = \"fasttext\"\nmodel = \"" + models.path() +
                      "/missing.ftz\"\n");
  registry_->Reconcile();
  auto dirs = registry_->WatchedDirectories();
  EXPECT_TRUE(dirs.count(plugins_.path()));
  EXPECT_TRUE(dirs.count(testing::TestPluginDir()));
  EXPECT_TRUE(dirs.count(models.path()));  // Even though the load failed.
}

// A keyword manifest whose calibration is `calibration`, relative to it.
std::string CalibratedManifest(const std::string& calibration) {
  return "calibration = \"" + calibration + "\"\n" +
         KeywordManifest("x=one", "score = 0.5");
}

TEST_F(ClassifierRegistryTest, ACalibrationIsPartOfTheLoadedVersion) {
  plugins_.WriteFile("cal.tsv", "# classifyd calibration v1\none\t0:0 1:0.4\n");
  Write("k.toml", CalibratedManifest("cal.tsv"));
  ASSERT_EQ(registry_->Reconcile().loaded, 1);
  const Classifier* first = registry_->Snapshot()->Find("k");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(first->calibration(), nullptr);
  EXPECT_FLOAT_EQ(first->calibration()->Apply("one", 0.5f), 0.2f);
  const uint64_t generation = first->generation();
  EXPECT_TRUE(registry_->WatchedDirectories().count(plugins_.path()));
  EXPECT_EQ(registry_->Reconcile().unchanged, 1);

  // A new calibration file is a new version, like a new model.
  plugins_.WriteFile(".cal.tmp", "# classifyd calibration v1\none\t0:0 1:1\n");
  std::filesystem::rename(plugins_.path() + "/.cal.tmp",
                          plugins_.path() + "/cal.tsv");
  ASSERT_EQ(registry_->Reconcile().loaded, 1);
  const Classifier* second = registry_->Snapshot()->Find("k");
  EXPECT_GT(second->generation(), generation);
  EXPECT_FLOAT_EQ(second->calibration()->Apply("one", 0.5f), 0.5f);

  // A broken one fails the load with its file and line; the previous
  // version keeps serving.
  plugins_.WriteFile(".cal.tmp", "# classifyd calibration v1\none\t1:0 0:1\n");
  std::filesystem::rename(plugins_.path() + "/.cal.tmp",
                          plugins_.path() + "/cal.tsv");
  EXPECT_EQ(registry_->Reconcile().failed, 1);
  auto list = registry_->List();
  EXPECT_EQ(list[0].state, ClassifierState::kFailed);
  EXPECT_THAT(list[0].error, HasSubstr("calibration '" + plugins_.path() +
                                       "/cal.tsv' line 2"));
  EXPECT_EQ(registry_->Snapshot()->Find("k")->generation(),
            second->generation());

  // No calibration: none applied.
  Write("plain.toml", KeywordManifest("x=one"));
  registry_->Reconcile();
  EXPECT_EQ(registry_->Snapshot()->Find("plain")->calibration(), nullptr);
}

TEST_F(ClassifierRegistryTest, AMissingOrUntrustedCalibrationFailsTheLoad) {
  Write("k.toml", CalibratedManifest("nope.tsv"));
  EXPECT_EQ(registry_->Reconcile().failed, 1);
  EXPECT_THAT(registry_->List()[0].error,
              AllOf(HasSubstr("calibration file '" + plugins_.path() +
                              "/nope.tsv'"),
                    HasSubstr("does not exist")));

  const std::string path =
      plugins_.WriteFile("nope.tsv", "# classifyd calibration v1\n");
  std::filesystem::permissions(path, std::filesystem::perms::others_write,
                               std::filesystem::perm_options::add);
  registry_->Reconcile();
  EXPECT_THAT(registry_->List()[0].error,
              AllOf(HasSubstr("calibration file"),
                    HasSubstr("writable by every user")));
  std::filesystem::permissions(path, std::filesystem::perms::others_write,
                               std::filesystem::perm_options::remove);
  EXPECT_EQ(registry_->Reconcile().loaded, 1);
}

TEST_F(ClassifierRegistryTest, ListsTheLoadersErrorAsFailed) {
  Recreate([](const Manifest&,
               uint64_t) -> absl::StatusOr<std::unique_ptr<Classifier>> {
    return absl::FailedPreconditionError("fake loader refuses");
  });
  Write("k.toml", KeywordManifest("x=one"));
  EXPECT_EQ(registry_->Reconcile().failed, 1);
  EXPECT_EQ(registry_->List()[0].state, ClassifierState::kFailed);
  EXPECT_THAT(registry_->List()[0].error, HasSubstr("fake loader refuses"));
  EXPECT_FALSE(registry_->HasReady());
}


TEST_F(ClassifierRegistryTest, AClassifierThatFailsItsWarmUpNeverGoesLive) {
  Write("k.toml", "warmup = \"a WARMFAIL document\"\n" +
                     KeywordManifest("x=one", "fail_marker = \"WARMFAIL\""));
  EXPECT_EQ(registry_->Reconcile().failed, 1);
  EXPECT_FALSE(registry_->HasReady());
  EXPECT_THAT(registry_->List()[0].error, HasSubstr("warm-up"));
}

// Health follows HasAnswering: a ready classifier skipped for a stuck call
// (see invoker/invoker.h) cannot answer; one that is not stuck is
// enough.
TEST_F(ClassifierRegistryTest, AnsweringNeedsAReadyClassifierThatIsNotStuck) {
  EXPECT_FALSE(registry_->HasAnswering());
  Write("a.toml", KeywordManifest("x=one"));
  Write("b.toml", KeywordManifest("y=two"));
  ASSERT_EQ(registry_->Reconcile().loaded, 2);
  EXPECT_TRUE(registry_->HasAnswering());
  auto snapshot = registry_->Snapshot();
  std::atomic<int>& a_stuck = snapshot->Find("a")->call_health().stuck_calls;
  std::atomic<int>& b_stuck = snapshot->Find("b")->call_health().stuck_calls;
  a_stuck = 1;
  EXPECT_TRUE(registry_->HasAnswering());
  b_stuck = 2;
  EXPECT_FALSE(registry_->HasAnswering());
  EXPECT_TRUE(registry_->HasReady());
  a_stuck = 0;
  EXPECT_TRUE(registry_->HasAnswering());
  b_stuck = 0;
}

}  // namespace
}  // namespace classifyd
