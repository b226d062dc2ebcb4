// `classifyd-train --name NAME --install DIR FILE.tsv`: a user's own
// classifier, trained from a TSV, installed into a running daemon's plugin
// directory, served, and replaced by a retrained generation under traffic
// without a failed request. Trains on SIB-200 sentences (tests/data) with
// small settings, so each training takes a second or two.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/classify_call.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;
using testing::DaemonProcess;
using ::testing::HasSubstr;
using testing::ProgramResult;
using Clock = std::chrono::steady_clock;

const std::set<std::string> kSibLabels = {"science",  "travel", "politics",
                                          "sports",   "health", "entertainment",
                                          "geography"};

std::vector<std::string> DataLines() {
  std::ifstream in(testing::SourceDir() + "/tests/data/sib200_zho_hans.tsv");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string Join(const std::vector<std::string>& lines, size_t n) {
  std::string out;
  for (size_t i = 0; i < n && i < lines.size(); ++i) out += lines[i] + "\n";
  return out;
}

// Runs classifyd-train with small, fast settings and `args`.
ProgramResult Train(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {CLASSIFYD_TRAIN_BINARY,
                                   "--no-quantize",
                                   "--bucket",
                                   "20000",
                                   "--epoch",
                                   "10"};
  argv.insert(argv.end(), args.begin(), args.end());
  return ChildProcess(argv).Wait(std::chrono::seconds(120));
}

class OwnClassifierTest : public ::testing::Test {
 protected:
  v1::PluginInfo Info(v1::Classifier::Stub& stub, const std::string& name) {
    v1::ListPluginsResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    EXPECT_TRUE(stub.ListPlugins(&context, {}, &response).ok());
    for (const auto& p : response.plugins()) {
      if (p.name() == name) return p;
    }
    return {};
  }

  // Polls until `name` serves a generation above `after`; returns it (0 on
  // timeout, with a failure).
  uint64_t WaitForGeneration(v1::Classifier::Stub& stub,
                             const std::string& name, uint64_t after) {
    const auto start = Clock::now();
    while (Clock::now() - start < std::chrono::seconds(30)) {
      const v1::PluginInfo info = Info(stub, name);
      if (info.state() == v1::PluginInfo::READY && info.generation() > after) {
        return info.generation();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << name << " never served a generation after " << after
                  << "\n"
                  << daemon_->Log();
    return 0;
  }

  testing::TempDir plugins_;
  testing::TempDir data_;
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(OwnClassifierTest, InstalledIntoRunningDaemonAndRetrainedUnderLoad) {
  // No classifier yet: the daemon is up but not SERVING until one loads.
  daemon_ =
      DaemonProcess::Start(plugins_.path(), {"--reload-debounce-ms", "50"},
                           /*wait_serving=*/false);
  ASSERT_NE(daemon_, nullptr);
  auto stub = v1::Classifier::NewStub(daemon_->NewChannel());
  const std::vector<std::string> lines = DataLines();
  ASSERT_GT(lines.size(), 900u);
  const std::string first = data_.WriteFile("first.tsv", Join(lines, 500));
  const std::string all = data_.WriteFile("all.tsv", Join(lines, lines.size()));

  ProgramResult result =
      Train({"--name", "mine", "--install", plugins_.path(), first});
  ASSERT_EQ(result.exit_code, 0) << result.Show();
  EXPECT_THAT(result.out, HasSubstr("mine generation 1: top-1 "));
  const uint64_t first_generation = WaitForGeneration(*stub, "mine", 0);
  ASSERT_GT(first_generation, 0u);

  v1::ClassifyResponse response;
  ASSERT_TRUE(testing::ClassifyText(
                  *stub, "研究人员表示，这种疫苗可以预防疟疾和肺结核。",
                  &response, {"mine"})
                  .ok());
  ASSERT_GT(response.labels_size(), 0);
  EXPECT_TRUE(kSibLabels.count(response.labels(0).name()))
      << response.labels(0).name();

  // Traffic on two threads while the classifier is retrained and replaced.
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 2; ++t) {
    clients.emplace_back([&] {
      while (!stop) {
        v1::ClassifyResponse r;
        const grpc::Status s = testing::ClassifyText(
            *stub, "三个赛季前，28岁的比达尔从塞维利亚队加盟巴萨。", &r,
            {"mine"});
        (s.ok() && r.labels_size() > 0 ? ok : failed)++;
      }
    });
  }
  result = Train({"--name", "mine", "--install", plugins_.path(), all});
  const uint64_t second_generation =
      result.exit_code == 0 ? WaitForGeneration(*stub, "mine", first_generation)
                            : 0;
  const int ok_at_swap = ok;
  while (ok < ok_at_swap + 20 && failed == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (auto& c : clients) c.join();
  ASSERT_EQ(result.exit_code, 0) << result.Show();
  std::cout << "[ traffic  ] " << ok << " requests during the retraining and "
            << "replacement, " << failed << " failed\n";
  EXPECT_THAT(result.out, HasSubstr("mine generation 2: top-1 "));
  EXPECT_GT(second_generation, first_generation);
  EXPECT_EQ(failed, 0);
  EXPECT_GT(ok, 20);

  // The manifest names generation 2; generation 1 stays for late readers.
  const fs::path home = fs::path(plugins_.path()) / "mine";
  EXPECT_TRUE(fs::exists(home / "model-2.bin"));
  EXPECT_TRUE(fs::exists(home / "calibration-2.tsv"));
  EXPECT_TRUE(fs::exists(home / "model-1.bin"));
  std::ifstream manifest(fs::path(plugins_.path()) / "mine.toml");
  std::stringstream text;
  text << manifest.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("model = \"mine/model-2.bin\""));
}

TEST_F(OwnClassifierTest, OutWritesModelCardAndPlotsWithoutADaemon) {
  const std::vector<std::string> lines = DataLines();
  const std::string all = data_.WriteFile("all.tsv", Join(lines, lines.size()));
  const ProgramResult result =
      Train({"--name", "topics", "--out", plugins_.path(), all});
  ASSERT_EQ(result.exit_code, 0) << result.Show();
  const fs::path home = fs::path(plugins_.path()) / "topics";
  std::ifstream in(home / "MODEL.md");
  std::stringstream card;
  card << in.rdbuf();
  EXPECT_THAT(card.str(),
              HasSubstr("| label | support | precision | recall | F1 |"));
  EXPECT_THAT(card.str(), HasSubstr("| `health` |"));
  EXPECT_THAT(card.str(),
              HasSubstr("![Reliability of the top label](reliability.svg)"));
  for (const char* svg : {"reliability.svg", "confusion.svg"}) {
    std::ifstream file(home / svg);
    std::string head;
    std::getline(file, head);
    EXPECT_THAT(head, HasSubstr("<svg")) << svg;
  }
  std::ifstream calibration(home / "calibration-1.tsv");
  std::string header;
  std::getline(calibration, header);
  EXPECT_EQ(header, "# classifyd calibration v1");
}

TEST_F(OwnClassifierTest, MalformedTsvIsRefusedNamingFileAndLine) {
  const std::string bad = data_.WriteFile(
      "bad.tsv", "sports\t比达尔加盟巴萨\nno tab on this line\n");
  const ProgramResult result =
      Train({"--name", "x", "--out", plugins_.path(), bad});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err,
              HasSubstr("bad.tsv:2: expected 'label[,label...]<TAB>text'"));
  EXPECT_FALSE(fs::exists(fs::path(plugins_.path()) / "x.toml"));
}

TEST_F(OwnClassifierTest, NeedsANameAndOneDestination) {
  const std::string tsv = data_.WriteFile("a.tsv", "sports\t比达尔加盟巴萨\n");
  const ProgramResult result = Train({"--name", "x", "--out", plugins_.path(),
                                      "--install", plugins_.path(), tsv});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("one of --install DIR / --out DIR"));
}

}  // namespace
}  // namespace classifyd
