// plugin.h promises that create() and destroy() never run concurrently.
// Reloads create on the caller's thread while retired generations are
// destroyed as their last request lets go; the lifecycle_probe plugin
// (tests/plugins/lifecycle_probe_plugin.cc) records any overlap of the two.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "registry/classifier_registry.h"
#include "registry/retirer.h"
#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

std::string ProbeManifest(const std::string& busy_file) {
  return "plugin = \"" + testing::TestPluginDir() +
         "/lifecycle_probe.so\"\n[options]\nbusy_file = \"" + busy_file +
         "\"\nhold_ms = 3\n";
}

TEST(RegistryControlThreadTest, CreateAndDestroyNeverOverlapWhileReloading) {
  testing::TempDir plugins;
  testing::TempDir copies;
  testing::TempDir scratch;
  const std::string busy = scratch.path() + "/busy";
  const std::vector<std::string> names = {"p1", "p2", "p3"};
  for (const std::string& name : names) {
    plugins.WriteFile(name + ".toml", ProbeManifest(busy));
  }
  Retirer retirer;
  ClassifierRegistry::Options options;
  options.plugin_dir = plugins.path();
  options.plugin_lib_dir = testing::TestPluginDir();
  options.private_lib_dir = copies.path();  // As the daemon loads.
  auto registry = std::make_unique<ClassifierRegistry>(options, &retirer);
  ASSERT_EQ(registry->Reconcile().loaded, 3);

  // Requests hold snapshots for a while, so generations retire both on
  // this thread and on the requester's, at times the reloads do not pick.
  std::atomic<bool> stop{false};
  std::thread requester([&] {
    std::vector<DocumentOutcome> out;
    const std::string_view texts[] = {"document"};
    while (!stop.load()) {
      auto snapshot = registry->Snapshot();
      for (const auto& c : snapshot->classifiers) {
        c->ClassifyBatch(texts, 1, 0.0f, &out);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  int loaded = 0;
  for (int round = 0; round < 8; ++round) {
    for (const std::string& name : names) {
      loaded += registry->Reconcile(name).loaded;
    }
  }
  stop = true;
  requester.join();
  EXPECT_EQ(loaded, 8 * 3);

  auto snapshot = registry->Snapshot();
  std::vector<DocumentOutcome> out;
  const std::string_view texts[] = {"document"};
  snapshot->Find("p1")->ClassifyBatch(texts, 1, 0.0f, &out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].labels.size(), 1u);
  EXPECT_EQ(out[0].labels[0].name, "serial");
  snapshot.reset();
  registry.reset();
  retirer.Drain();
  EXPECT_FALSE(std::filesystem::exists(busy + ".overlap"))
      << "a create() and a destroy() of the plugin ran at the same time";
}

}  // namespace
}  // namespace classifyd
