// A classifier that hangs on demand, for the watchdog tests: a stuck
// reload and a wedged classify path must both stop the watchdog pings.
// It waits while a named file exists, so a test can release it and shut
// the daemon down cleanly.
//
// Options:
//   hang_create_while = "/path"    create() waits while the file exists
//   hang_classify_while = "/path"  every classify call waits likewise
// While it waits, "/path.hanging" exists, so a test knows the hang began.
// Every document gets the label "probe" with score 0.5.
#include <classifyd/plugin_sdk.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

void WaitWhileExists(const std::string& path) {
  struct stat st;
  if (path.empty() || stat(path.c_str(), &st) != 0) return;
  std::ofstream(path + ".hanging") << "hanging\n";
  while (stat(path.c_str(), &st) == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

class HangClassifier final : public classifyd::sdk::Classifier {
 public:
  explicit HangClassifier(const classifyd::sdk::InstanceConfig& config)
      : hang_classify_while_(config.GetString("hang_classify_while", "")) {
    WaitWhileExists(config.GetString("hang_create_while", ""));
  }

  std::vector<std::string> Labels() const override { return {"probe"}; }

  void ClassifyBatch(std::span<const std::string_view> texts,
                     const classifyd::sdk::ClassifyOptions& /*options*/,
                     classifyd::sdk::ResultWriter& out) override {
    WaitWhileExists(hang_classify_while_);
    for (size_t i = 0; i < texts.size(); ++i) out.AddLabel(i, "probe", 0.5f);
  }

 private:
  const std::string hang_classify_while_;
};

}  // namespace

CLASSIFYD_PLUGIN(HangClassifier, "hang", "1.0.0", 0)
