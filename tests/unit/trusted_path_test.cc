#include "plugin/trusted_path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::TempDir;

constexpr int64_t kLimit = 1 << 20;
constexpr uid_t kDaemonUid = 1000;

// The status's message: "" when the check passed.
std::string Why(const absl::Status& status) {
  return std::string(status.message());
}

FileFacts RegularFile(uid_t owner, mode_t permissions) {
  return {static_cast<mode_t>(S_IFREG | permissions), owner, 10, false};
}

TEST(CheckOwnerAndModeTest, AcceptsRootOrTheDaemonUserWithoutGroupWrite) {
  EXPECT_THAT(
      Why(CheckOwnerAndMode(RegularFile(0, 0644), kDaemonUid, "/m", "x")),
      IsEmpty());
  EXPECT_THAT(Why(CheckOwnerAndMode(RegularFile(kDaemonUid, 0600), kDaemonUid,
                                    "/m", "x")),
              IsEmpty());
}

TEST(CheckOwnerAndModeTest, RefusesAFileOwnedByAnotherUser) {
  EXPECT_EQ(Why(CheckOwnerAndMode(RegularFile(1001, 0644), kDaemonUid,
                                  "/srv/m.ftz", "model file")),
            "refusing model file '/srv/m.ftz': it is owned by uid 1001, not "
            "by root or the daemon's user (uid 1000) (disable with "
            "--strict-modes=false)");
}

TEST(CheckOwnerAndModeTest, RefusesGroupOrWorldWritable) {
  EXPECT_THAT(
      Why(CheckOwnerAndMode(RegularFile(0, 0646), kDaemonUid, "/m", "x")),
      HasSubstr("writable by every user"));
  EXPECT_THAT(
      Why(CheckOwnerAndMode(RegularFile(0, 0664), kDaemonUid, "/m", "x")),
      HasSubstr("writable by its group"));
}

TEST(CheckDataFileFactsTest, RefusesAnythingButABoundedRegularFile) {
  EXPECT_THAT(Why(CheckDataFileFacts(RegularFile(0, 0644), kLimit, "/m", "x")),
              IsEmpty());
  EXPECT_THAT(Why(CheckDataFileFacts({S_IFIFO | 0644, 0, 0, false}, kLimit,
                                     "/m", "model file")),
              HasSubstr("it is a FIFO (named pipe), not a regular file"));
  EXPECT_THAT(
      Why(CheckDataFileFacts({S_IFCHR | 0666, 0, 0, false}, kLimit, "/m", "x")),
      HasSubstr("it is a character device, not a regular file"));
  EXPECT_THAT(
      Why(CheckDataFileFacts({S_IFREG | 0444, 0, 0, true}, kLimit, "/m", "x")),
      HasSubstr("on /proc or /sys"));
  EXPECT_THAT(Why(CheckDataFileFacts({S_IFREG | 0644, 0, kLimit + 1, false},
                                     kLimit, "/m", "x")),
              HasSubstr("over the manifest's limit of 1048576 bytes "
                        "(`max_model_bytes`)"));
}

// The same rules through the real system calls, on files of the test's
// user (the daemon's user here: the effective uid).
class TrustedDataFileTest : public ::testing::Test {
 protected:
  std::string Check(const std::string& path, bool strict = true) {
    return Why(CheckTrustedDataFile(path, "model file", kLimit, strict));
  }

  TempDir dir_;
};

TEST_F(TrustedDataFileTest, AcceptsAPrivateRegularFileAndASymlinkToIt) {
  const std::string model = dir_.WriteFile("models/m.bin", "model");
  ASSERT_EQ(chmod(model.c_str(), 0644), 0);
  EXPECT_THAT(Check(model), IsEmpty());
  const std::string link = dir_.path() + "/current";
  ASSERT_EQ(symlink(model.c_str(), link.c_str()), 0);
  EXPECT_THAT(Check(link), IsEmpty());
}

TEST_F(TrustedDataFileTest, RefusesAFifoWithoutBlockingEvenWhenNotStrict) {
  const std::string fifo = dir_.path() + "/model.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THAT(Check(fifo), HasSubstr("FIFO"));
  EXPECT_THAT(Check(fifo, /*strict=*/false), HasSubstr("FIFO"));
}

TEST_F(TrustedDataFileTest, RefusesDevicesAndProcFiles) {
  EXPECT_THAT(Check("/dev/zero"), HasSubstr("character device"));
  EXPECT_THAT(Check("/proc/self/status", false), HasSubstr("/proc or /sys"));
  // A symlink to a device is judged by what it names.
  const std::string link = dir_.path() + "/model.bin";
  ASSERT_EQ(symlink("/dev/zero", link.c_str()), 0);
  EXPECT_THAT(Check(link, false), HasSubstr("character device"));
}

TEST_F(TrustedDataFileTest, RefusesAFileOverTheLimitWithoutReadingIt) {
  const std::string big = dir_.WriteFile("big.bin", "");
  ASSERT_EQ(truncate(big.c_str(), kLimit + 1), 0);  // Sparse.
  EXPECT_THAT(Check(big), HasSubstr("1048577 bytes, over"));
}

TEST_F(TrustedDataFileTest, StrictModesRefuseWritableFilesAndDirectories) {
  const std::string model = dir_.WriteFile("models/m.bin", "model");
  ASSERT_EQ(chmod(model.c_str(), 0666), 0);
  EXPECT_THAT(Check(model), HasSubstr("writable by every user"));
  EXPECT_THAT(Check(model, /*strict=*/false), IsEmpty());
  ASSERT_EQ(chmod(model.c_str(), 0644), 0);
  const std::string models = dir_.path() + "/models";
  ASSERT_EQ(chmod(models.c_str(), 0775), 0);
  EXPECT_THAT(Check(model), HasSubstr("refusing directory of the model file '" +
                                      models + "': it is writable by its "
                                               "group"));
}

TEST_F(TrustedDataFileTest, StrictModesCheckTheDirectoryHoldingASymlink) {
  const std::string model = dir_.WriteFile("models/m.bin", "model");
  const std::string links = dir_.path() + "/links";
  std::filesystem::create_directory(links);
  ASSERT_EQ(chmod(links.c_str(), 0777), 0);
  const std::string link = links + "/m.bin";
  ASSERT_EQ(symlink(model.c_str(), link.c_str()), 0);
  EXPECT_THAT(Check(link), HasSubstr("'" + links + "': it is writable by every"));
}

// Ownership by another user can be made only as root; the rule itself is
// covered for every user by CheckOwnerAndModeTest above.
TEST_F(TrustedDataFileTest, OwnershipFollowsTheEffectiveUser) {
  const std::string model = dir_.WriteFile("m.bin", "model");
  EXPECT_THAT(Check(model), IsEmpty());  // Owned by the daemon's user.
  if (geteuid() == 0) {
    ASSERT_EQ(chown(model.c_str(), 65534, 65534), 0);
    EXPECT_THAT(Check(model), HasSubstr("owned by uid 65534"));
  }
}

}  // namespace
}  // namespace classifyd
