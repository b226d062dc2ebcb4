// The daemon's runtime directory against the real binary: another user
// cannot stop it from starting by taking a name first, a clean exit leaves
// nothing behind, a killed daemon's directory is removed by the next start
// (and a live one's is not), and under systemd $RUNTIME_DIRECTORY is used
// as it is.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "classifyd/v1/admin.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

namespace fs = std::filesystem;
using testing::DaemonProcess;
using testing::DirectoryNames;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::KeywordManifest;

bool IsSocket(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// A Reload through the admin socket at `socket`.
grpc::Status AdminReload(const std::string& socket) {
  auto admin = v1::PluginAdmin::NewStub(grpc::CreateChannel(
      "unix:" + socket, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  v1::ReloadResponse response;
  return admin->Reload(&context, {}, &response);
}

class RuntimeDirTest : public ::testing::Test {
 protected:
  RuntimeDirTest() {
    plugins_.WriteFile("k.toml", KeywordManifest("x=ex"));
    fs::permissions(base_.path(), fs::perms::all | fs::perms::sticky_bit);
  }

  // A daemon whose runtime directory is made in base_ and whose admin
  // socket is the default one in it.
  std::unique_ptr<DaemonProcess> Start() {
    return DaemonProcess::Start(
        plugins_.path(), {"--runtime-dir", base_.path(), "--admin-socket", ""});
  }

  // The daemon directories in base_.
  std::vector<std::string> Dirs() {
    std::vector<std::string> dirs;
    for (const std::string& name : DirectoryNames(base_.path())) {
      if (name.rfind(prefix_, 0) == 0)
        dirs.push_back(base_.path() + "/" + name);
    }
    return dirs;
  }

  const std::string prefix_ = "classifyd-" + std::to_string(geteuid()) + "-";
  testing::TempDir plugins_;
  testing::TempDir base_;  // Like /tmp: everyone may write, sticky.
};

TEST_F(RuntimeDirTest, AnotherUsersDirectoryOfTheDefaultNameDoesNotStopIt) {
  // What the daemon used to need, taken first by another local user.
  const std::string taken =
      base_.path() + "/classifyd-" + std::to_string(geteuid());
  fs::create_directory(taken);
  if (geteuid() == 0) {
    ASSERT_EQ(chown(taken.c_str(), 65534, 65534), 0);
    fs::permissions(taken, fs::perms::owner_all);
  } else {
    fs::permissions(taken, fs::perms::all);  // Ours, but open to everyone.
  }
  auto daemon = Start();
  ASSERT_NE(daemon, nullptr);
  const auto dirs = Dirs();
  ASSERT_EQ(dirs.size(), 1u)
      << ::testing::PrintToString(DirectoryNames(base_.path()));
  EXPECT_TRUE(IsSocket(dirs[0] + "/admin.sock"));
  const grpc::Status reload = AdminReload(dirs[0] + "/admin.sock");
  EXPECT_TRUE(reload.ok()) << reload.error_message();
  EXPECT_TRUE(fs::exists(taken)) << "another user's directory was touched";
}

TEST_F(RuntimeDirTest, ACleanExitLeavesNothingBehind) {
  auto daemon = Start();
  ASSERT_NE(daemon, nullptr);
  const auto dirs = Dirs();
  ASSERT_EQ(dirs.size(), 1u);
  struct stat st;
  ASSERT_EQ(lstat(dirs[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(fs::is_directory(dirs[0] + "/plugins"));  // Private copies.
  daemon->Signal(SIGTERM);
  const auto status = daemon->WaitForExit(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << daemon->Log();
  EXPECT_THAT(DirectoryNames(base_.path()), IsEmpty());
}

TEST_F(RuntimeDirTest, AKilledDaemonsDirectoryIsRemovedByTheNextStart) {
  auto killed = Start();
  ASSERT_NE(killed, nullptr);
  const auto left = Dirs();
  ASSERT_EQ(left.size(), 1u);
  killed->Signal(SIGKILL);
  ASSERT_TRUE(killed->WaitForExit(std::chrono::seconds(30)).has_value());
  ASSERT_TRUE(fs::exists(left[0])) << "SIGKILL leaves it";

  auto live = Start();
  ASSERT_NE(live, nullptr);
  auto next = Start();  // Must not take the live daemon's for a leftover.
  ASSERT_NE(next, nullptr);
  EXPECT_FALSE(fs::exists(left[0]));
  EXPECT_THAT(live->Log(), HasSubstr("removed '" + left[0] + "', left by"));
  const auto dirs = Dirs();
  ASSERT_EQ(dirs.size(), 2u);
  for (const std::string& dir : dirs) {
    EXPECT_TRUE(AdminReload(dir + "/admin.sock").ok()) << dir;
  }
}

TEST_F(RuntimeDirTest, SystemdsRuntimeDirectoryIsUsedAsItIs) {
  // As systemd makes it for RuntimeDirectory= with RuntimeDirectoryMode=0700.
  testing::TempDir runtime;
  fs::permissions(runtime.path(), fs::perms::owner_all);
  testing::TempDir work;
  const std::string port_file = work.path() + "/port";
  testing::ChildOptions options;
  options.env = {{"RUNTIME_DIRECTORY", runtime.path()}};
  options.unset_env = {"TMPDIR"};
  testing::ChildProcess daemon(
      {testing::DaemonBinary(), "--listen", "127.0.0.1:0", "--port-file",
       port_file, "--plugin-dir", plugins_.path(), "--plugin-lib-dir",
       testing::PluginLibDir(), "--watch", "false"},
      options);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(port_file) || fs::file_size(port_file) == 0) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no port file";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(DirectoryNames(runtime.path()),
            (std::vector<std::string>{"admin.sock", "admin.sock.listen",
                                      "classifyd.pid", "plugins"}));
  const grpc::Status reload = AdminReload(runtime.path() + "/admin.sock");
  EXPECT_TRUE(reload.ok()) << reload.error_message();

  pid_t pid = 0;
  std::ifstream(runtime.path() + "/classifyd.pid") >> pid;
  ASSERT_GT(pid, 0);
  kill(pid, SIGTERM);
  const testing::ProgramResult result = daemon.Wait(std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, 0) << result.Show();
  EXPECT_THAT(DirectoryNames(runtime.path()), IsEmpty())
      << "systemd's directory stays, emptied of what the daemon made";
}

}  // namespace
}  // namespace classifyd
