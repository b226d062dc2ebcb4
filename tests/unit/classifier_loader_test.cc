// The registry's loader (registry/classifier_loader.h): the order of its
// checks, where create() runs, the warm-up document, and generations.
#include "registry/classifier_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::KeywordManifest;

std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

class RegistryLoaderTest : public ::testing::Test {
 protected:
  // The manifest `text`, parsed as <dir>/k.toml.
  Manifest Parse(const std::string& text) {
    const std::string path = dir_.WriteFile("k.toml", text);
    absl::StatusOr<Manifest> parsed =
        LoadManifest(path, testing::TestPluginDir());
    if (!parsed.ok()) {
      ADD_FAILURE() << parsed.status();
      return Manifest();
    }
    return *std::move(parsed);
  }

  std::unique_ptr<ClassifierLoader> MakeLoader(
      ClassifierLoader::Factory factory = {}) {
    ClassifierLoader::Options options;
    options.factory = std::move(factory);
    return std::make_unique<ClassifierLoader>(options, &control_);
  }

  // A factory that counts its calls and the threads it ran on.
  ClassifierLoader::Factory CountingFactory() {
    return [this](const Manifest&, uint64_t)
               -> absl::StatusOr<std::unique_ptr<Classifier>> {
      ++factory_calls_;
      factory_thread_ = std::this_thread::get_id();
      return absl::FailedPreconditionError("factory refuses");
    };
  }

  testing::TempDir dir_;
  Retirer control_{/*trim=*/false};
  std::atomic<int> factory_calls_{0};
  std::thread::id factory_thread_;
};

TEST_F(RegistryLoaderTest, AMissingModelFailsBeforeThePluginIsCreated) {
  auto loader = MakeLoader(CountingFactory());
  auto loaded = loader->Load(
      Parse("model = \"absent.bin\"\n" + KeywordManifest("x=one")));
  EXPECT_TRUE(absl::IsFailedPrecondition(loaded.status()));
  EXPECT_THAT(Message(loaded.status()),
              AllOf(HasSubstr("model file '" + dir_.path() + "/absent.bin'"),
                    HasSubstr("does not exist")));
  EXPECT_EQ(factory_calls_.load(), 0);
}

TEST_F(RegistryLoaderTest, AnUntrustedLibraryIsRefusedBeforeItIsOpened) {
  testing::TempDir libs;
  const std::string lib = libs.path() + "/keyword.so";
  fs::copy_file(testing::TestPluginDir() + "/keyword.so", lib);
  fs::permissions(lib, fs::perms::others_write, fs::perm_options::add);
  auto loaded = MakeLoader()->Load(
      Parse("plugin = \"" + lib + "\"\n[options]\nrules = \"x=y\"\n"));
  EXPECT_THAT(Message(loaded.status()),
              AllOf(HasSubstr("plugin library"),
                    HasSubstr("writable by every user")));
}

TEST_F(RegistryLoaderTest, CreateRunsOnTheControlThread) {
  auto loader = MakeLoader(CountingFactory());
  EXPECT_THAT(Message(loader->Load(Parse(KeywordManifest("x=one"))).status()),
              HasSubstr("factory refuses"));
  std::thread::id control_thread;
  control_.RunNow([&] { control_thread = std::this_thread::get_id(); });
  EXPECT_EQ(factory_thread_, control_thread);
  EXPECT_NE(factory_thread_, std::this_thread::get_id());
}

TEST_F(RegistryLoaderTest, AFailedCreateReportsWhyAndUsesNoGeneration) {
  auto loader = MakeLoader();
  auto failed =
      loader->Load(Parse(KeywordManifest("x=one", "fail_create = true")));
  EXPECT_THAT(Message(failed.status()), HasSubstr("fail_create is set"));
  auto first = loader->Load(Parse(KeywordManifest("x=one")));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ((*first)->generation(), 1u);
  auto second = loader->Load(Parse(KeywordManifest("x=one")));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)->generation(), 2u);
}

TEST_F(RegistryLoaderTest, TheWarmUpDocumentComesFromTheManifest) {
  auto loader = MakeLoader();
  const std::string marked = KeywordManifest("x=one", "fail_marker = \"WARM\"");
  // The default document does not carry the marker...
  EXPECT_TRUE(loader->Load(Parse(marked)).ok());
  EXPECT_EQ(std::string(kDefaultWarmUpText).find("WARM"), std::string::npos);
  // ...the manifest's does, inline or in a file.
  auto inline_text =
      loader->Load(Parse("warmup = \"a WARM document\"\n" + marked));
  EXPECT_THAT(Message(inline_text.status()),
              HasSubstr("warm-up classification failed"));
  dir_.WriteFile("warmup.txt", "another WARM document");
  auto from_file = loader->Load(Parse("warmup_file = \"warmup.txt\"\n" + marked));
  EXPECT_THAT(Message(from_file.status()),
              HasSubstr("warm-up classification failed"));
  // The failed candidates are destroyed on the control thread.
  control_.Drain();
  EXPECT_EQ(control_.completed(), 3u);
}

TEST_F(RegistryLoaderTest, ABadWarmUpFileFailsTheLoad) {
  auto loader = MakeLoader(CountingFactory());
  const std::string manifest =
      "warmup_file = \"warmup.txt\"\n" + KeywordManifest("x=one");
  EXPECT_THAT(Message(loader->Load(Parse(manifest)).status()),
              AllOf(HasSubstr("warm-up file"), HasSubstr("does not exist")));
  dir_.WriteFile("warmup.txt", "");
  EXPECT_THAT(Message(loader->Load(Parse(manifest)).status()),
              HasSubstr("is not a document: it is empty"));
  dir_.WriteFile("warmup.txt", "bad \xff byte");
  EXPECT_THAT(Message(loader->Load(Parse(manifest)).status()),
              HasSubstr("is not a document"));
  dir_.WriteFile("warmup.txt", std::string(kMaxWarmUpBytes + 1, 'x'));
  EXPECT_THAT(Message(loader->Load(Parse(manifest)).status()),
              HasSubstr("warm-up file"));
  EXPECT_EQ(factory_calls_.load(), 0);
}

}  // namespace
}  // namespace classifyd
