// A classifier that notices when the host breaks plugin.h's promise that
// create() and destroy() never run concurrently. Each of them claims a
// busy file (O_CREAT | O_EXCL) for `hold_ms` and releases it: a claim that
// finds the file taken means two of them ran at once. A file and not a
// static flag, because every load of the library may be a private copy
// with statics of its own (PluginLibrary::Open).
//
// An overlap leaves "<busy_file>.overlap"; from then on create() fails with
// FAILED_PRECONDITION and every document gets the label "overlap" (else
// "serial"), so a test sees it whichever call noticed.
//
// Options:
//   busy_file = "/path"   required; its directory must exist
//   hold_ms = 5           how long create() and destroy() keep it
#include <classifyd/plugin_sdk.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Holds `busy_file` for `hold_ms`, recording an overlap if it was taken.
void HoldBusyFile(const std::string& busy_file, int hold_ms) {
  const int fd = open(busy_file.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
  if (fd < 0) {
    std::ofstream(busy_file + ".overlap") << "overlap\n";
    return;
  }
  close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
  unlink(busy_file.c_str());
}

class LifecycleProbe final : public classifyd::sdk::Classifier {
 public:
  explicit LifecycleProbe(const classifyd::sdk::InstanceConfig& config)
      : busy_file_(config.GetString("busy_file", "")),
        hold_ms_(static_cast<int>(config.GetDouble("hold_ms", 5))) {
    if (busy_file_.empty()) {
      throw classifyd::sdk::Error(CLASSIFYD_INVALID_ARGUMENT,
                                  "option busy_file is required");
    }
    HoldBusyFile(busy_file_, hold_ms_);
    if (Exists(busy_file_ + ".overlap")) {
      throw classifyd::sdk::Error(
          CLASSIFYD_FAILED_PRECONDITION,
          "create() ran while another create() or destroy() was running");
    }
  }

  ~LifecycleProbe() override { HoldBusyFile(busy_file_, hold_ms_); }

  std::vector<std::string> Labels() const override {
    return {"serial", "overlap"};
  }

  void ClassifyBatch(std::span<const std::string_view> texts,
                     const classifyd::sdk::ClassifyOptions& /*options*/,
                     classifyd::sdk::ResultWriter& out) override {
    const char* label = Exists(busy_file_ + ".overlap") ? "overlap" : "serial";
    for (size_t i = 0; i < texts.size(); ++i) out.AddLabel(i, label, 1.0f);
  }

 private:
  const std::string busy_file_;
  const int hold_ms_;
};

}  // namespace

CLASSIFYD_PLUGIN(LifecycleProbe, "lifecycle_probe", "1.0.0", 0)
