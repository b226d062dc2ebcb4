// Hot loading against the real daemon: classifiers, models and plugin
// libraries change on disk under live streaming traffic, and not one
// request fails.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <set>
#include <thread>

#include "classifyd/v1/admin.grpc.pb.h"
#include "classifyd/v1/classifier.grpc.pb.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::DaemonProcess;
using testing::KeywordManifest;
using Clock = std::chrono::steady_clock;

// Writes `contents` to `path` through a temporary file and rename(), as
// careful deployment tools do.
void WriteByRename(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp~";
  std::ofstream(tmp, std::ios::binary | std::ios::trunc) << contents;
  fs::rename(tmp, path);
}

// Overwrites `path` in place (same inode), as `cp` or an editor does.
void WriteInPlace(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class HotReloadTest : public ::testing::Test {
 protected:
  void Start(const std::vector<std::string>& args = {}) {
    std::vector<std::string> all = {"--reload-debounce-ms", "100"};
    all.insert(all.end(), args.begin(), args.end());
    daemon_ = DaemonProcess::Start(plugins_.path(), all);
    ASSERT_NE(daemon_, nullptr);
    stub_ = v1::Classifier::NewStub(daemon_->NewChannel());
  }

  std::map<std::string, v1::PluginInfo> Plugins() {
    const v1::ListPluginsResponse response = daemon_->AdminListPlugins();
    std::map<std::string, v1::PluginInfo> by_name;
    for (const auto& p : response.plugins()) by_name[p.name()] = p;
    return by_name;
  }

  // Polls ListPlugins until `done` holds; returns how long that took, or
  // fails the test after 20 s.
  std::chrono::milliseconds WaitFor(
      const std::string& what,
      const std::function<bool(const std::map<std::string, v1::PluginInfo>&)>&
          done) {
    const auto start = Clock::now();
    while (Clock::now() - start < std::chrono::seconds(20)) {
      if (done(Plugins())) {
        auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
            Clock::now() - start);
        std::cout << "[ reload   ] " << what << ": " << took.count()
                  << " ms\n";
        latencies_.push_back(took);
        return took;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "timed out waiting for: " << what << "\n"
                  << daemon_->Log();
    return std::chrono::milliseconds(-1);
  }

  uint64_t Generation(const std::string& name) {
    auto plugins = Plugins();
    return plugins.count(name) ? plugins[name].generation() : 0;
  }

  testing::TempDir plugins_;
  testing::TempDir files_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::Classifier::Stub> stub_;
  std::vector<std::chrono::milliseconds> latencies_;
};

// Streams documents on `streams` concurrent streams until stopped,
// recording failures and the classifier generations named in responses.
class Traffic {
 public:
  Traffic(v1::Classifier::Stub* stub, int streams) {
    for (int s = 0; s < streams; ++s) {
      threads_.emplace_back([this, stub] { RunStream(stub); });
    }
  }
  ~Traffic() { Stop(); }

  void Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  int failures() const { return failures_; }
  int64_t responses() const { return responses_; }
  std::string first_failure() {
    std::lock_guard lock(mu_);
    return first_failure_;
  }
  std::map<std::string, std::set<uint64_t>> generations() {
    std::lock_guard lock(mu_);
    return generations_;
  }

 private:
  void Fail(const std::string& why) {
    failures_++;
    std::lock_guard lock(mu_);
    if (first_failure_.empty()) first_failure_ = why;
  }

  void RunStream(v1::Classifier::Stub* stub) {
    while (!stop_) {
      grpc::ClientContext context;
      auto stream = stub->ClassifyStream(&context);
      std::atomic<int> sent{0};
      std::thread writer([&] {
        v1::ClassifyRequest request;
        request.set_text("x 股市 地震 中央气象台:“苏拉”已达强台风级");
        for (int i = 0; i < 2000 && !stop_; ++i) {
          request.set_id(std::to_string(i));
          if (!stream->Write(request)) break;
          sent++;
          if (i % 64 == 63) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        stream->WritesDone();
      });
      v1::ClassifyResponse response;
      int received = 0;
      std::map<std::string, uint64_t> last_seen;
      while (stream->Read(&response)) {
        ++received;
        responses_++;
        if (response.error().code() != 0) {
          Fail("document failed: " + response.error().message());
        }
        for (const auto& run : response.classifiers()) {
          if (run.status().code() != 0) {
            Fail("classifier " + run.name() + " failed: " +
                 run.status().message());
          }
          // Within a stream a classifier's generation never goes back.
          uint64_t& last = last_seen[run.name()];
          if (run.generation() < last) Fail("generation went back");
          last = run.generation();
          std::lock_guard lock(mu_);
          generations_[run.name()].insert(run.generation());
        }
      }
      writer.join();
      grpc::Status status = stream->Finish();
      if (!status.ok()) Fail("stream failed: " + status.error_message());
      if (received != sent) Fail("lost responses");
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<int> failures_{0};
  std::atomic<int64_t> responses_{0};
  std::mutex mu_;
  std::string first_failure_;
  std::map<std::string, std::set<uint64_t>> generations_;
  std::vector<std::thread> threads_;
};

// Every generation the daemon published, from its log lines
// "classifier <name>: ready, generation <n>, ...".
std::map<std::string, std::set<uint64_t>> PublishedGenerations(
    const std::string& log) {
  std::map<std::string, std::set<uint64_t>> published;
  std::istringstream lines(log);
  std::string line;
  const std::string kPrefix = "classifier ";
  const std::string kReady = ": ready, generation ";
  while (std::getline(lines, line)) {
    const size_t ready = line.find(kReady);
    const size_t start = line.find(kPrefix);
    if (ready == std::string::npos || start == std::string::npos ||
        start > ready) {
      continue;
    }
    const std::string name =
        line.substr(start + kPrefix.size(), ready - start - kPrefix.size());
    published[name].insert(
        std::stoull(line.substr(ready + kReady.size())));
  }
  return published;
}

TEST_F(HotReloadTest, EverythingChangesUnderFourStreamsAndNothingFails) {
  // `base` never changes, so a ready classifier always exists.
  plugins_.WriteFile("base.toml", KeywordManifest("x=ex"));
  const std::string model = files_.path() + "/model.ftz";
  const std::string model_bytes = ReadFile(testing::BundledModelPath());
  WriteInPlace(model, model_bytes);
  plugins_.WriteFile("news.toml", "plugin = \"fasttext\"\nmodel = \"" + model +
                                      "\"\n");
  const std::string library = files_.path() + "/kw.so";
  const std::string v1_bytes =
      ReadFile(testing::TestPluginDir() + "/keyword.so");
  const std::string v2_bytes =
      ReadFile(testing::TestPluginDir() + "/keyword_v2.so");
  WriteInPlace(library, v1_bytes);
  fs::permissions(library, fs::perms::owner_all);
  plugins_.WriteFile("swapped.toml", "plugin = \"" + library +
                                         "\"\n[options]\nrules = \"股=finance\"\n");
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_EQ(Plugins().size(), 3u) << daemon_->Log();

  Traffic traffic(stub_.get(), 4);
  while (traffic.responses() < 200) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const std::string added = plugins_.path() + "/added.toml";

  // Add a classifier.
  WriteByRename(added, KeywordManifest("地震=disaster"));
  WaitFor("new manifest", [](const auto& p) {
    return p.count("added") && p.at("added").state() == v1::PluginInfo::READY;
  });
  uint64_t generation = Generation("added");

  // Edit it in place.
  WriteInPlace(added, KeywordManifest("地震=disaster;台风=weather"));
  WaitFor("edited manifest", [&](const auto& p) {
    return p.at("added").generation() > generation;
  });
  generation = Generation("added");

  // Break it: the old generation keeps serving, listed as FAILED.
  WriteInPlace(added, "plugin = \"keyword\n");
  WaitFor("broken manifest", [&](const auto& p) {
    return p.at("added").state() == v1::PluginInfo::FAILED;
  });
  EXPECT_EQ(Generation("added"), generation);
  EXPECT_THAT(Plugins().at("added").error(), HasSubstr("invalid TOML"));

  // Fix it.
  WriteByRename(added, KeywordManifest("地震=disaster"));
  WaitFor("fixed manifest", [&](const auto& p) {
    return p.at("added").state() == v1::PluginInfo::READY &&
           p.at("added").generation() > generation;
  });

  // Swap the model by rename, then in place.
  generation = Generation("news");
  WriteByRename(model, model_bytes);
  WaitFor("model swapped by rename", [&](const auto& p) {
    return p.at("news").generation() > generation;
  });
  generation = Generation("news");
  WriteInPlace(model, model_bytes);
  WaitFor("model rewritten in place", [&](const auto& p) {
    return p.at("news").generation() > generation;
  });

  // A corrupt model leaves the previous one serving.
  generation = Generation("news");
  WriteInPlace(model, "this is not a model");
  WaitFor("corrupt model", [&](const auto& p) {
    return p.at("news").state() == v1::PluginInfo::FAILED;
  });
  EXPECT_EQ(Generation("news"), generation);
  WriteByRename(model, model_bytes);
  WaitFor("model restored", [&](const auto& p) {
    return p.at("news").state() == v1::PluginInfo::READY &&
           p.at("news").generation() > generation;
  });

  // Swap the plugin library for a rebuilt one, by rename and in place.
  WriteByRename(library, v2_bytes);
  WaitFor("library swapped by rename", [](const auto& p) {
    return p.at("swapped").version() == "2.0.0";
  });
  WriteInPlace(library, v1_bytes);
  WaitFor("library overwritten in place", [](const auto& p) {
    return p.at("swapped").version() == "1.2.3";
  });

  // Remove a classifier.
  fs::remove(added);
  WaitFor("removed manifest", [](const auto& p) { return !p.count("added"); });

  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  traffic.Stop();
  EXPECT_EQ(traffic.failures(), 0) << traffic.first_failure();
  EXPECT_GT(traffic.responses(), 1000);
  const auto published = PublishedGenerations(daemon_->Log());
  for (const auto& [name, generations] : traffic.generations()) {
    for (uint64_t g : generations) {
      EXPECT_TRUE(published.count(name) && published.at(name).count(g))
          << name << " generation " << g << " was never published";
    }
  }
  EXPECT_GE(traffic.generations()["news"].size(), 2u);
  for (auto took : latencies_) EXPECT_LT(took, std::chrono::seconds(10));
  std::cout << "[ traffic  ] " << traffic.responses()
            << " responses, 0 failures expected, " << traffic.failures()
            << " seen\n";
}

// How often `text` is in the daemon's log.
size_t Occurrences(const std::string& log, const std::string& text) {
  size_t n = 0;
  for (size_t at = log.find(text); at != std::string::npos;
       at = log.find(text, at + 1)) {
    ++n;
  }
  return n;
}

TEST_F(HotReloadTest, APluginDirectoryReplacedWholeIsRescanned) {
  // Deployment tools replace the whole directory: delete it, or move it
  // away, then move a complete new one into place (so nothing happens
  // inside the new directory that a watch on it could see).
  const std::string dir = files_.path() + "/plugins.d";
  fs::create_directory(dir);
  WriteInPlace(dir + "/a.toml", KeywordManifest("x=ex"));
  WriteInPlace(dir + "/b.toml", KeywordManifest("y=why"));
  daemon_ = DaemonProcess::Start(dir, {"--reload-debounce-ms", "100"});
  ASSERT_NE(daemon_, nullptr);
  stub_ = v1::Classifier::NewStub(daemon_->NewChannel());
  ASSERT_EQ(Plugins().size(), 2u);
  const auto replace_with_only_a = [&] {
    const std::string next = files_.path() + "/plugins.next";
    fs::create_directory(next);
    WriteInPlace(next + "/a.toml", KeywordManifest("x=ex"));
    fs::rename(next, dir);
  };
  // The rescan the disappearance asks for finds no directory and changes
  // nothing; only then does the new one appear.
  const auto wait_for_rescan = [&](size_t before) {
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Occurrences(daemon_->Log(), "rescanning plugins (files changed)") ==
           before) {
      ASSERT_LT(Clock::now(), deadline) << daemon_->Log();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  };

  size_t rescans = Occurrences(daemon_->Log(), "rescanning plugins (files changed)");
  fs::remove_all(dir);
  ASSERT_NO_FATAL_FAILURE(wait_for_rescan(rescans));
  EXPECT_EQ(Plugins().size(), 2u);
  replace_with_only_a();
  WaitFor("deleted and recreated without b", [](const auto& plugins) {
    return plugins.size() == 1 && plugins.count("a") == 1;
  });
  v1::ClassifyRequest request;
  request.set_text("why");
  request.add_plugins("b");
  v1::ClassifyResponse response;
  {
    grpc::ClientContext context;
    EXPECT_EQ(stub_->Classify(&context, request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }

  WriteInPlace(dir + "/b.toml", KeywordManifest("y=why"));
  WaitFor("b back in the new directory",
          [](const auto& plugins) { return plugins.count("b") == 1; });
  rescans = Occurrences(daemon_->Log(), "rescanning plugins (files changed)");
  fs::rename(dir, files_.path() + "/plugins.old");
  ASSERT_NO_FATAL_FAILURE(wait_for_rescan(rescans));
  replace_with_only_a();
  WaitFor("moved away and replaced without b", [](const auto& plugins) {
    return plugins.size() == 1 && plugins.count("a") == 1;
  });
}

TEST_F(HotReloadTest, AdminApiIsOnlyOnTheAdminSocket) {
  plugins_.WriteFile("k.toml", KeywordManifest("x=ex"));
  ASSERT_NO_FATAL_FAILURE(Start({"--watch", "false"}));

  struct stat st;
  ASSERT_EQ(stat(daemon_->admin_socket().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(fs::path(daemon_->admin_socket()).parent_path().c_str(), &st),
            0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  // The public listener does not serve it.
  auto public_admin = v1::PluginAdmin::NewStub(daemon_->NewChannel());
  v1::ReloadResponse response;
  {
    grpc::ClientContext context;
    EXPECT_EQ(public_admin->Reload(&context, {}, &response).error_code(),
              grpc::StatusCode::UNIMPLEMENTED);
  }

  auto admin = v1::PluginAdmin::NewStub(daemon_->NewAdminChannel());
  const uint64_t first = Generation("k");
  v1::ReloadRequest reload;
  reload.set_name("k");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(admin->Reload(&context, reload, &response).ok());
  }
  EXPECT_EQ(response.loaded(), 1);
  ASSERT_EQ(response.plugins_size(), 1);
  EXPECT_GT(response.plugins(0).generation(), first);

  v1::UnloadRequest unload;
  unload.set_name("k");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(admin->Unload(&context, unload, &response).ok());
  }
  EXPECT_EQ(response.removed(), 1);
  v1::ClassifyRequest request;
  request.set_text("x");
  v1::ClassifyResponse classified;
  {
    grpc::ClientContext context;
    EXPECT_EQ(stub_->Classify(&context, request, &classified).error_code(),
              grpc::StatusCode::UNAVAILABLE);
  }
  EXPECT_TRUE(daemon_->WaitForHealth(false, std::chrono::seconds(10)));

  v1::LoadRequest load;
  load.set_name("k");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(admin->Load(&context, load, &response).ok());
  }
  EXPECT_EQ(response.loaded(), 1);
  {
    grpc::ClientContext context;
    EXPECT_TRUE(stub_->Classify(&context, request, &classified).ok());
  }

  load.set_name("ghost");
  {
    grpc::ClientContext context;
    EXPECT_EQ(admin->Load(&context, load, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  load.set_name("../etc/passwd");
  {
    grpc::ClientContext context;
    EXPECT_EQ(admin->Load(&context, load, &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }

  // Without a name: a rescan that picks up a new manifest.
  plugins_.WriteFile("late.toml", KeywordManifest("y=why"));
  {
    grpc::ClientContext context;
    ASSERT_TRUE(admin->Reload(&context, {}, &response).ok());
  }
  EXPECT_EQ(response.loaded(), 1);
  EXPECT_EQ(response.plugins_size(), 2);
}

TEST_F(HotReloadTest, RefusesToStartWithAnOpenAdminSocketDirectory) {
  plugins_.WriteFile("k.toml", KeywordManifest("x=ex"));
  const std::string dir = files_.path() + "/open";
  fs::create_directory(dir);
  fs::permissions(dir, fs::perms::all);
  std::string command = testing::DaemonBinary() + " --listen 127.0.0.1:0" +
                        " --plugin-dir " + plugins_.path() +
                        " --admin-socket " + dir + "/admin.sock > " +
                        files_.path() + "/out 2>&1";
  const int status = std::system(command.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_THAT(ReadFile(files_.path() + "/out"),
              HasSubstr("accessible to other users"));
}

// Counts the private plugin copies mapped into the daemon.
int MappedPluginCopies(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::set<std::string> copies;
  std::string line;
  while (std::getline(maps, line)) {
    const size_t at = line.find("/plugin-");
    if (at != std::string::npos && line.find(".so") != std::string::npos) {
      copies.insert(line.substr(at));
    }
  }
  return static_cast<int>(copies.size());
}

TEST_F(HotReloadTest, ReloadedLibrariesAreReallyUnloaded) {
  plugins_.WriteFile("k.toml", KeywordManifest("x=ex"));
  ASSERT_NO_FATAL_FAILURE(Start({"--watch", "false"}));
  EXPECT_EQ(MappedPluginCopies(daemon_->pid()), 1);
  auto admin = v1::PluginAdmin::NewStub(daemon_->NewAdminChannel());
  v1::ReloadRequest reload;
  reload.set_name("k");
  v1::ReloadResponse response;
  for (int i = 0; i < 50; ++i) {
    grpc::ClientContext context;
    ASSERT_TRUE(admin->Reload(&context, reload, &response).ok());
  }
  ASSERT_TRUE(daemon_->WaitForLog("generation 50 unloaded",
                                  std::chrono::seconds(20)));
  // The serving copy, plus at most one still being retired.
  EXPECT_LE(MappedPluginCopies(daemon_->pid()), 2);
}

}  // namespace
}  // namespace classifyd
