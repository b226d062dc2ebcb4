// The daemon's private runtime directory: made so nobody can pre-empt it,
// removed on exit, systemd's used as it is, and only the leftovers of
// daemons that are gone cleaned up.
#include "server/runtime_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "testing/temp_dir.h"

namespace classifyd {
namespace {

namespace fs = std::filesystem;
using testing::DirectoryNames;
using ::testing::MatchesRegex;

// RuntimeDir::Create's directory, or null with its status's message in
// `error`.
std::unique_ptr<RuntimeDir> CreateOrExplain(const std::string& base,
                                            const std::string& systemd_dir,
                                            std::string* error) {
  absl::StatusOr<std::unique_ptr<RuntimeDir>> dir =
      RuntimeDir::Create(base, systemd_dir);
  if (dir.ok()) return *std::move(dir);
  *error = std::string(dir.status().message());
  return nullptr;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

mode_t Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// The pid of a process that has exited and been reaped.
pid_t DeadPid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

std::string PidLine(pid_t pid, unsigned long long start) {
  return std::to_string(pid) + " " + std::to_string(start) + "\n";
}

// A directory as a daemon leaves it, with `pid_file` as its pid file
// (none if empty).
std::string MakeLeftover(const std::string& base, const std::string& name,
                         const std::string& pid_file) {
  const std::string dir = base + "/" + name;
  fs::create_directory(dir);
  fs::permissions(dir, fs::perms::owner_all);
  fs::create_directory(dir + "/plugins");
  if (!pid_file.empty()) std::ofstream(dir + "/" + kPidFileName) << pid_file;
  return dir;
}

class RuntimeDirTest : public ::testing::Test {
 protected:
  std::string uid_ = std::to_string(geteuid());
  testing::TempDir base_;
};

TEST_F(RuntimeDirTest, MakesAPrivateDirectoryAndRemovesItOnExit) {
  std::string error;
  auto dir = CreateOrExplain(base_.path(), "", &error);
  ASSERT_NE(dir, nullptr) << error;
  EXPECT_THAT(dir->path(), MatchesRegex(base_.path() + "/classifyd-" + uid_ +
                                        "-[A-Za-z0-9]{6}"));
  EXPECT_EQ(Mode(dir->path()), 0700u);
  EXPECT_EQ(Read(dir->path() + "/classifyd.pid"),
            PidLine(getpid(), ProcessStartTime(getpid()).value()));
  EXPECT_EQ(Mode(dir->plugin_copies()), 0700u);
  EXPECT_EQ(dir->admin_socket(), dir->path() + "/admin.sock");
  std::ofstream(dir->plugin_copies() + "/plugin-x.so") << "copy";
  dir.reset();
  EXPECT_THAT(DirectoryNames(base_.path()), ::testing::IsEmpty());
}

TEST_F(RuntimeDirTest, TwoDaemonsGetTwoDirectories) {
  std::string error;
  auto a = CreateOrExplain(base_.path(), "", &error);
  auto b = CreateOrExplain(base_.path(), "", &error);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a->path(), b->path());
  EXPECT_TRUE(fs::exists(a->path())) << "b's start removed a live directory";
}

TEST_F(RuntimeDirTest, AnotherUsersDirectoryOfTheOldNameIsNoObstacle) {
  // The name the daemon used to insist on, taken by someone else.
  const std::string taken = base_.path() + "/classifyd-" + uid_;
  std::ofstream(taken) << "not a directory";
  std::string error;
  auto dir = CreateOrExplain(base_.path(), "", &error);
  ASSERT_NE(dir, nullptr) << error;
  EXPECT_NE(dir->path(), taken);
}

TEST_F(RuntimeDirTest, NoBaseDirectoryIsAnError) {
  std::string error;
  EXPECT_EQ(CreateOrExplain(base_.path() + "/missing", "", &error), nullptr);
  EXPECT_THAT(error, ::testing::HasSubstr("cannot create a directory in "
                                          "--runtime-dir"));
}

TEST_F(RuntimeDirTest, SystemdsDirectoryIsUsedAsItIsAndLeftInPlace) {
  fs::permissions(base_.path(), fs::perms::owner_all);
  std::ofstream(base_.path() + "/theirs") << "systemd's, not ours";
  // A copy left by a run that was killed.
  fs::create_directory(base_.path() + "/plugins");
  std::ofstream(base_.path() + "/plugins/plugin-old.so") << "stale";
  std::string error;
  auto dir = CreateOrExplain(base_.path(), base_.path() + "/", &error);
  ASSERT_NE(dir, nullptr) << error;
  EXPECT_EQ(fs::path(dir->path()), fs::path(base_.path()));
  EXPECT_EQ(dir->admin_socket(), base_.path() + "/admin.sock");
  EXPECT_THAT(DirectoryNames(dir->plugin_copies()), ::testing::IsEmpty());
  EXPECT_TRUE(fs::exists(base_.path() + "/classifyd.pid"));
  dir.reset();
  EXPECT_EQ(DirectoryNames(base_.path()), std::vector<std::string>{"theirs"});
}

TEST_F(RuntimeDirTest, SystemdsDirectoryOpenToOthersGetsAPrivateOneInside) {
  fs::permissions(base_.path(), fs::perms::owner_all | fs::perms::group_read |
                                    fs::perms::group_exec |
                                    fs::perms::others_read |
                                    fs::perms::others_exec);
  std::string error;
  auto dir = CreateOrExplain(base_.path(), base_.path(), &error);
  ASSERT_NE(dir, nullptr) << error;
  EXPECT_EQ(fs::path(dir->path()).parent_path(), fs::path(base_.path()));
  EXPECT_EQ(Mode(dir->path()), 0700u);
}

TEST_F(RuntimeDirTest, SystemdsDirectoryInUseByALiveDaemonIsNotShared) {
  fs::permissions(base_.path(), fs::perms::owner_all);
  std::string error;
  auto first = CreateOrExplain(base_.path(), base_.path(), &error);
  ASSERT_NE(first, nullptr) << error;
  // The pid file names a live process other than the caller's.
  const pid_t parent = getppid();
  std::ofstream(base_.path() + "/classifyd.pid")
      << PidLine(parent, ProcessStartTime(parent).value());
  auto second = CreateOrExplain(base_.path(), base_.path(), &error);
  ASSERT_NE(second, nullptr) << error;
  EXPECT_NE(fs::path(second->path()), fs::path(base_.path()));
}

TEST_F(RuntimeDirTest, RemovesOnlyTheLeftoversOfDaemonsThatAreGone) {
  const pid_t self = getpid();
  const unsigned long long start = ProcessStartTime(self).value();
  const std::string gone = MakeLeftover(
      base_.path(), "classifyd-" + uid_ + "-aaaaaa", PidLine(DeadPid(), 1));
  // The pid lives on in another process: a start time that does not match.
  const std::string reused = MakeLeftover(
      base_.path(), "classifyd-" + uid_ + "-bbbbbb", PidLine(self, start + 1));
  const std::string live = MakeLeftover(
      base_.path(), "classifyd-" + uid_ + "-cccccc", PidLine(self, start));
  const std::string starting =
      MakeLeftover(base_.path(), "classifyd-" + uid_ + "-dddddd", "");
  const std::string half_written = MakeLeftover(
      base_.path(), "classifyd-" + uid_ + "-eeeeee", std::to_string(self));
  const std::string other_name = MakeLeftover(
      base_.path(), "classifyd-plugins-ffffff", PidLine(DeadPid(), 1));
  const std::string too_long = MakeLeftover(
      base_.path(), "classifyd-" + uid_ + "-ggggggg", PidLine(DeadPid(), 1));

  EXPECT_EQ(RemoveStaleRuntimeDirs(base_.path()), 2);
  EXPECT_FALSE(fs::exists(gone));
  EXPECT_FALSE(fs::exists(reused));
  for (const std::string& kept :
       {live, starting, half_written, other_name, too_long}) {
    EXPECT_TRUE(fs::exists(kept)) << kept;
  }
}

TEST_F(RuntimeDirTest, AnotherUsersLeftoversAreNotTouched) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to make another user's";
  const std::string theirs = MakeLeftover(
      base_.path(), "classifyd-" + uid_ + "-hhhhhh", PidLine(DeadPid(), 1));
  ASSERT_EQ(chown(theirs.c_str(), 65534, 65534), 0);
  EXPECT_EQ(RemoveStaleRuntimeDirs(base_.path()), 0);
  EXPECT_TRUE(fs::exists(theirs + "/classifyd.pid"));
}

TEST_F(RuntimeDirTest, AStartCleansUpAfterACrashedDaemon) {
  const std::string gone = MakeLeftover(
      base_.path(), "classifyd-" + uid_ + "-iiiiii", PidLine(DeadPid(), 1));
  std::string error;
  auto dir = CreateOrExplain(base_.path(), "", &error);
  ASSERT_NE(dir, nullptr) << error;
  EXPECT_FALSE(fs::exists(gone));
  EXPECT_EQ(DirectoryNames(base_.path()),
            std::vector<std::string>{fs::path(dir->path()).filename()});
}

TEST_F(RuntimeDirTest, ProcessStartTimeTellsLiveFromGone) {
  EXPECT_TRUE(ProcessStartTime(getpid()).has_value());
  EXPECT_FALSE(ProcessStartTime(DeadPid()).has_value());
}

}  // namespace
}  // namespace classifyd
