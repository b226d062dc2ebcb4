// Hostile model files against the real daemon: a FIFO, a device, a file
// or directory other users may write, a file of another user, a file over
// the manifest's size limit. Each fails its classifier at once with a
// clear reason while the daemon, its admin socket and its other
// classifiers go on (docs/security.md, "Model files").
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "classifyd/v1/admin.grpc.pb.h"
#include "testing/daemon_process.h"
#include "testing/eventually.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using testing::DaemonProcess;
using ::testing::HasSubstr;
using testing::TempDir;

// A guard against a hang, not a timing assertion: a refused file answers
// in milliseconds; before the checks, these calls never returned.
using testing::kPatience;

class ModelFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plugins_.WriteFile("kw.toml", testing::KeywordManifest("x=ex"));
    std::filesystem::create_directory(models_);
  }

  // A copy of the bundled lexicon rules, private to the test's user.
  std::string CopyRules(const std::string& name) {
    const std::string path = models_ + "/" + name;
    std::filesystem::copy_file(
        testing::SourceDir() + "/models/lexicon/rules.toml", path);
    chmod(path.c_str(), 0644);
    return path;
  }

  // Manifest `name`.toml: the lexicon plugin reading rules at `model`.
  void WriteLexicon(const std::string& name, const std::string& model,
                    const std::string& extra = "") {
    plugins_.WriteFile(name + ".toml", "plugin = \"lexicon\"\nmodel = \"" +
                                           model + "\"\n" + extra);
  }

  void Start() {
    daemon_ = DaemonProcess::Start(plugins_.path());
    ASSERT_NE(daemon_, nullptr);
  }

  // Reloads classifier `name` through the admin socket and returns what
  // the admin view then says about it.
  v1::PluginInfo Reload(const std::string& name) {
    auto admin = v1::PluginAdmin::NewStub(daemon_->NewAdminChannel());
    v1::ReloadRequest request;
    request.set_name(name);
    v1::ReloadResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kPatience);
    const grpc::Status status = admin->Reload(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const v1::PluginInfo& info : response.plugins()) {
      if (info.name() == name && info.state() != v1::PluginInfo::UNLOADING) {
        return info;
      }
    }
    return {};
  }

  void ExpectRefused(const std::string& name, const std::string& reason) {
    const v1::PluginInfo info = Reload(name);
    EXPECT_EQ(info.state(), v1::PluginInfo::FAILED) << info.DebugString();
    EXPECT_THAT(info.error(), HasSubstr(reason));
  }

  TempDir plugins_;
  TempDir files_;
  const std::string models_ = files_.path() + "/models";
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(ModelFilesTest, AFifoModelFailsAtOnceAndNothingElseWaits) {
  const std::string fifo = models_ + "/rules.toml";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  WriteLexicon("fifo", fifo);
  ASSERT_NO_FATAL_FAILURE(Start());
  ExpectRefused("fifo", "refusing model file '" + fifo +
                            "': it is a FIFO (named pipe), not a regular file");
  EXPECT_EQ(Reload("kw").state(), v1::PluginInfo::READY);
  daemon_->Signal(SIGTERM);
  const auto exit = daemon_->WaitForExit(kPatience);
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0);
}

TEST_F(ModelFilesTest, DevZeroAsAModelFailsAtOnce) {
  WriteLexicon("zero", "/dev/zero");
  ASSERT_NO_FATAL_FAILURE(Start());
  ExpectRefused("zero", "it is a character device, not a regular file");
  EXPECT_EQ(Reload("kw").state(), v1::PluginInfo::READY);
}

TEST_F(ModelFilesTest, AModelOthersMayWriteIsRefusedUntilFixed) {
  const std::string rules = CopyRules("rules.toml");
  ASSERT_EQ(chmod(rules.c_str(), 0666), 0);
  WriteLexicon("lexicon", rules);
  ASSERT_NO_FATAL_FAILURE(Start());
  ExpectRefused("lexicon", "it is writable by every user");
  ASSERT_EQ(chmod(rules.c_str(), 0644), 0);
  ASSERT_EQ(chmod(models_.c_str(), 0777), 0);
  ExpectRefused("lexicon", "refusing directory of the model file '" +
                               models_ + "': it is writable by every user");
  ASSERT_EQ(chmod(models_.c_str(), 0755), 0);
  EXPECT_EQ(Reload("lexicon").state(), v1::PluginInfo::READY);
}

// Another user's file can be made only as root; as any other user this
// checks that the daemon's own user's file is accepted, and
// CheckOwnerAndModeTest covers the refusal with every owner.
TEST_F(ModelFilesTest, AModelOwnedByAnotherUserIsRefused) {
  const std::string rules = CopyRules("rules.toml");
  WriteLexicon("lexicon", rules);
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_EQ(Reload("lexicon").state(), v1::PluginInfo::READY);
  if (geteuid() == 0) {
    ASSERT_EQ(chown(rules.c_str(), 65534, 65534), 0);
    ExpectRefused("lexicon", "it is owned by uid 65534, not by root or the "
                             "daemon's user (uid 0)");
  }
}

TEST_F(ModelFilesTest, AModelOverTheManifestsLimitIsRefused) {
  const std::string rules = CopyRules("rules.toml");
  WriteLexicon("lexicon", rules, "max_model_bytes = 100\n");
  ASSERT_NO_FATAL_FAILURE(Start());
  ExpectRefused("lexicon", "over the manifest's limit of 100 bytes");
}

}  // namespace
}  // namespace classifyd
