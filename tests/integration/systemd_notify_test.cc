// The sd_notify protocol against the real daemon, without systemd: the
// test binds the datagram socket systemd would, points $NOTIFY_SOCKET at
// it, and reads what the daemon says (READY=1, RELOADING=1, STOPPING=1,
// WATCHDOG=1) against what the daemon is really doing.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server/daemon.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::DaemonProcess;
using testing::TempDir;
using testing::TestPluginDir;

// The service manager's end of $NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
        << std::strerror(errno);
  }
  ~NotifySocket() { close(fd_); }

  // The next datagram, or nullopt when none arrives within `timeout`.
  std::optional<std::string> Receive(milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buffer[4096];
    const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<size_t>(n));
  }

  // Receives until a datagram with the line `line` arrives (true) or
  // `timeout` passes (false). Every datagram read goes to `seen`.
  bool WaitFor(const std::string& line, milliseconds timeout,
               std::vector<std::string>* seen = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto message = Receive(milliseconds(200));
      if (!message) continue;
      if (seen != nullptr) seen->push_back(*message);
      if (HasLine(*message, line)) return true;
    }
    return false;
  }

  static bool HasLine(const std::string& message, const std::string& line) {
    size_t start = 0;
    while (start <= message.size()) {
      size_t end = message.find('\n', start);
      if (end == std::string::npos) end = message.size();
      if (message.compare(start, end - start, line) == 0) return true;
      start = end + 1;
    }
    return false;
  }

  static std::optional<std::string> Field(const std::string& message,
                                          const std::string& key) {
    size_t start = 0;
    while (start < message.size()) {
      size_t end = message.find('\n', start);
      if (end == std::string::npos) end = message.size();
      if (message.compare(start, key.size() + 1, key + "=") == 0) {
        return message.substr(start + key.size() + 1,
                              end - start - key.size() - 1);
      }
      start = end + 1;
    }
    return std::nullopt;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// Sets environment variables for the daemons started in its scope (the
// child inherits them through fork/exec).
class ScopedEnv {
 public:
  ScopedEnv(const std::string& name, const std::string& value) : name_(name) {
    setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name_.c_str()); }

 private:
  std::string name_;
};

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

bool WaitForFile(const std::string& path, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Exists(path)) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

bool HealthServing(const DaemonProcess& daemon) {
  auto stub = grpc::health::v1::Health::NewStub(daemon.NewChannel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(30));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  return stub->Check(&context, request, &response).ok() &&
         response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

std::string HangManifest(const std::string& option, const std::string& path,
                         double weight = 1.0) {
  return "plugin = \"" + TestPluginDir() +
         "/hang.so\"\nweight = " + std::to_string(weight) + "\n[options]\n" +
         option + " = \"" + path + "\"\n";
}

// Receives until no WATCHDOG=1 came for `gap` (true), or `timeout` passes
// with pings still coming (false). Every datagram read goes to `seen`.
bool WaitForPingGap(NotifySocket& notify, milliseconds gap,
                    milliseconds timeout, std::vector<std::string>* seen) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto last_ping = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline) {
    auto message = notify.Receive(milliseconds(100));
    const auto now = std::chrono::steady_clock::now();
    if (message) {
      seen->push_back(*message);
      if (NotifySocket::HasLine(*message, "WATCHDOG=1")) last_ping = now;
    }
    if (now - last_ping >= gap) return true;
  }
  return false;
}

class SystemdNotifyTest : public ::testing::Test {
 protected:
  TempDir dir_;
  const std::string socket_path_ = dir_.path() + "/notify.sock";
  NotifySocket notify_{socket_path_};
  ScopedEnv notify_env_{"NOTIFY_SOCKET", socket_path_};
};

TEST_F(SystemdNotifyTest, ReadyOnlyAfterClassifiersLoad) {
  TempDir plugins;
  const std::string hang = dir_.WriteFile("hang-create", "");
  plugins.WriteFile("slow.toml", HangManifest("hang_create_while", hang));

  // Start() returns once the daemon writes its port file, i.e. after the
  // start-up load, so it runs beside the test's checks.
  auto started = std::async(
      std::launch::async, [&] { return DaemonProcess::Start(plugins.path()); });
  ASSERT_TRUE(WaitForFile(hang + ".hanging", seconds(60)));
  // The daemon is provably inside the start-up load now: nothing it said so
  // far may be READY=1.
  std::vector<std::string> seen;
  EXPECT_FALSE(notify_.WaitFor("READY=1", milliseconds(1000), &seen));
  unlink(hang.c_str());
  auto daemon = started.get();
  ASSERT_NE(daemon, nullptr);
  std::vector<std::string> after;
  ASSERT_TRUE(notify_.WaitFor("READY=1", seconds(60), &after));
  // READY=1 promised a serving daemon.
  EXPECT_TRUE(HealthServing(*daemon));
  const auto status = NotifySocket::Field(after.back(), "STATUS");
  ASSERT_TRUE(status.has_value());
  EXPECT_NE(status->find("1 classifier(s) ready"), std::string::npos)
      << *status;

  daemon->Signal(SIGTERM);
  EXPECT_TRUE(daemon->WaitForExit(seconds(60)).has_value());
}

TEST_F(SystemdNotifyTest, ReloadingThenReadyOnSighupAndStoppingOnSigterm) {
  TempDir plugins;
  plugins.WriteFile("kw.toml", testing::KeywordManifest("地震=disaster"));
  auto daemon = DaemonProcess::Start(plugins.path(), {"--watch=false"});
  ASSERT_NE(daemon, nullptr);
  ASSERT_TRUE(notify_.WaitFor("READY=1", seconds(60)));

  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t before_usec = static_cast<uint64_t>(now.tv_sec) * 1000000;
  daemon->Signal(SIGHUP);
  std::vector<std::string> seen;
  ASSERT_TRUE(notify_.WaitFor("RELOADING=1", seconds(60), &seen));
  // MONOTONIC_USEC is CLOCK_MONOTONIC when the reload began, as systemd
  // 253+ checks for Type=notify-reload.
  const auto usec = NotifySocket::Field(seen.back(), "MONOTONIC_USEC");
  ASSERT_TRUE(usec.has_value()) << seen.back();
  EXPECT_GE(std::stoull(*usec), before_usec);
  ASSERT_TRUE(notify_.WaitFor("READY=1", seconds(60)));
  EXPECT_TRUE(daemon->WaitForLog("rescanning plugins (SIGHUP)", seconds(30)));

  daemon->Signal(SIGTERM);
  ASSERT_TRUE(notify_.WaitFor("STOPPING=1", seconds(60)));
  const auto status = daemon->WaitForExit(seconds(60));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST_F(SystemdNotifyTest, NoWatchdogPingsWithoutWatchdogUsec) {
  TempDir plugins;
  plugins.WriteFile("kw.toml", testing::KeywordManifest("地震=disaster"));
  auto daemon = DaemonProcess::Start(plugins.path());
  ASSERT_NE(daemon, nullptr);
  ASSERT_TRUE(notify_.WaitFor("READY=1", seconds(60)));
  std::vector<std::string> seen;
  EXPECT_FALSE(notify_.WaitFor("WATCHDOG=1", milliseconds(1500), &seen));
}

TEST_F(SystemdNotifyTest, WatchdogPingsAboutEveryHalfTimeout) {
  TempDir plugins;
  plugins.WriteFile("kw.toml", testing::KeywordManifest("地震=disaster"));
  ScopedEnv watchdog("WATCHDOG_USEC", "1000000");
  auto daemon = DaemonProcess::Start(plugins.path());
  ASSERT_NE(daemon, nullptr);
  ASSERT_TRUE(notify_.WaitFor("WATCHDOG=1", seconds(60)));
  const auto first = std::chrono::steady_clock::now();
  constexpr int kPings = 6;
  for (int i = 0; i < kPings; ++i) {
    ASSERT_TRUE(notify_.WaitFor("WATCHDOG=1", seconds(30)));
  }
  const auto mean = std::chrono::duration_cast<milliseconds>(
                        std::chrono::steady_clock::now() - first) /
                    kPings;
  std::printf("mean watchdog ping interval: %lld ms (WATCHDOG_USEC=1s)\n",
              static_cast<long long>(mean.count()));
  // Never faster than half the timeout (less a little for the probe's own
  // time); slower than the whole timeout would get the service killed.
  EXPECT_GE(mean, milliseconds(450));
  EXPECT_LT(mean, milliseconds(1000));
}

TEST_F(SystemdNotifyTest, WatchdogStopsWhileAReloadIsStuck) {
  TempDir plugins;
  const std::string hang = dir_.path() + "/hang-create";
  plugins.WriteFile("slow.toml", HangManifest("hang_create_while", hang));
  ScopedEnv watchdog("WATCHDOG_USEC", "400000");
  auto daemon = DaemonProcess::Start(
      plugins.path(), {"--watch=false", "--reload-stuck-timeout=1"});
  ASSERT_NE(daemon, nullptr);
  ASSERT_TRUE(notify_.WaitFor("READY=1", seconds(60)));
  ASSERT_TRUE(notify_.WaitFor("WATCHDOG=1", seconds(60)));

  // A changed manifest makes SIGHUP reload the classifier; its create()
  // hangs.
  dir_.WriteFile("hang-create", "");
  plugins.WriteFile("slow.toml", HangManifest("hang_create_while", hang, 0.5));
  daemon->Signal(SIGHUP);
  ASSERT_TRUE(WaitForFile(hang + ".hanging", seconds(60)));
  std::vector<std::string> seen;
  ASSERT_TRUE(WaitForPingGap(notify_, seconds(3), seconds(60), &seen))
      << "pings went on while the reload was stuck";
  for (const std::string& m : seen) {
    EXPECT_FALSE(NotifySocket::HasLine(m, "READY=1")) << m;
  }
  EXPECT_TRUE(
      daemon->WaitForLog("watchdog: withholding pings: a plugin "
                         "reload has been running",
                         seconds(30)));

  // Released, the reload finishes and the pings resume.
  unlink(hang.c_str());
  ASSERT_TRUE(notify_.WaitFor("READY=1", seconds(60)));
  ASSERT_TRUE(notify_.WaitFor("WATCHDOG=1", seconds(60)));
  daemon->Signal(SIGTERM);
  EXPECT_TRUE(daemon->WaitForExit(seconds(60)).has_value());
}

TEST_F(SystemdNotifyTest, WatchdogStopsWhileClassifyHangs) {
  TempDir plugins;
  const std::string hang = dir_.path() + "/hang-classify";
  plugins.WriteFile("slow.toml", HangManifest("hang_classify_while", hang));
  ScopedEnv watchdog("WATCHDOG_USEC", "400000");
  auto daemon = DaemonProcess::Start(plugins.path());
  ASSERT_NE(daemon, nullptr);
  ASSERT_TRUE(notify_.WaitFor("READY=1", seconds(60)));
  ASSERT_TRUE(notify_.WaitFor("WATCHDOG=1", seconds(60)));

  dir_.WriteFile("hang-classify", "");
  ASSERT_TRUE(WaitForFile(hang + ".hanging", seconds(60)));
  std::vector<std::string> seen;
  ASSERT_TRUE(WaitForPingGap(notify_, seconds(3), seconds(60), &seen))
      << "pings went on while every Classify call hung";
  EXPECT_TRUE(daemon->WaitForLog(
      "watchdog: withholding pings: a probe Classify call got no answer",
      seconds(30)));

  unlink(hang.c_str());
  ASSERT_TRUE(notify_.WaitFor("WATCHDOG=1", seconds(60)));
  EXPECT_TRUE(daemon->WaitForLog("watchdog: healthy again", seconds(30)));
  daemon->Signal(SIGTERM);
  EXPECT_TRUE(daemon->WaitForExit(seconds(60)).has_value());
}

// With a plugin time limit, a classifier that hangs on the probe's own
// document answers DEADLINE_EXCEEDED and is then skipped: the daemon
// contains it, so the pings go on (it is the only classifier, so the probe
// call itself gets DEADLINE_EXCEEDED once, from the server, well within
// the probe's budget).
TEST_F(SystemdNotifyTest, WatchdogKeepsPingingWhileATimedOutClassifierIsStuck) {
  TempDir plugins;
  const std::string entered = dir_.path() + "/probe-hangs";
  plugins.WriteFile("stuck.toml",
                    "plugin = \"" + TestPluginDir() +
                        "/crash_hang.so\"\ntimeout_ms = 300\n"
                        "[options]\nhang_marker = \"看门狗探测\"\n"
                        "entered_file = \"" +
                        entered + "\"\n");
  ScopedEnv watchdog("WATCHDOG_USEC", "4000000");  // A probe every 2 s.
  auto daemon = DaemonProcess::Start(plugins.path());
  ASSERT_NE(daemon, nullptr);
  ASSERT_TRUE(notify_.WaitFor("READY=1", seconds(60)));
  // The first probe hangs the plugin for good.
  ASSERT_TRUE(WaitForFile(entered, seconds(60)));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(notify_.WaitFor("WATCHDOG=1", seconds(30)));
  }
  EXPECT_TRUE(daemon->WaitForLog("did not return within 300 ms", seconds(30)));
  EXPECT_EQ(daemon->Log().find("withholding pings"), std::string::npos)
      << daemon->Log();

  daemon->Signal(SIGTERM);
  const auto exit = daemon->WaitForExit(seconds(60));
  ASSERT_TRUE(exit.has_value());
  // The stuck call is abandoned: a failure status, not a clean stop.
  EXPECT_TRUE(WIFEXITED(*exit) &&
              WEXITSTATUS(*exit) == kAbandonedCallsExitStatus);
}

}  // namespace
}  // namespace classifyd
