// What a SIGHUP does to the settings, and the shipped config file.
#include "server/config_reload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

bool IsParseError(const absl::StatusOr<DaemonOptions>& r) {
  return absl::IsInvalidArgument(r.status());
}
using ::testing::IsEmpty;

DaemonOptions MustParse(std::vector<std::string> args) {
  args.insert(args.begin(), "classifyd");
  auto r = ParseOptions(args);
  if (!r.ok()) {
    ADD_FAILURE() << "parse failed: " << r.status().message();
    return DaemonOptions();
  }
  return *r;
}

TEST(ConfigReloadTest, AppliesReloadableSettingsAndReportsTheRest) {
  const DaemonOptions running = MustParse({"--default-top-k", "3"});
  const DaemonOptions fresh =
      MustParse({"--default-top-k", "1", "--listen", "127.0.0.1:7000",
                 "--log-level", "debug", "--default-deadline-ms", "50"});
  const SettingsReload reload = MergeSettings(running, fresh);
  EXPECT_THAT(reload.restart_needed, ElementsAre("listen"));
  EXPECT_THAT(reload.applied,
              ::testing::UnorderedElementsAre("default_top_k", "log_level",
                                              "default_deadline_ms"));
  EXPECT_EQ(reload.options.listen, running.listen);
  EXPECT_EQ(reload.options.limits.default_top_k, 1u);
  EXPECT_EQ(reload.options.limits.default_deadline_ms, 50u);
  EXPECT_EQ(reload.options.log_level, "debug");
  // The restart-only change is still pending: the next SIGHUP says so too.
  EXPECT_THAT(MergeSettings(reload.options, fresh).restart_needed,
              ElementsAre("listen"));
}

TEST(ConfigReloadTest, AppliesANewStreamByteWindow) {
  const DaemonOptions running = MustParse({});
  const DaemonOptions fresh = MustParse({"--stream-window-bytes", "65536"});
  const SettingsReload reload = MergeSettings(running, fresh);
  EXPECT_THAT(reload.applied, ElementsAre("stream_window_bytes"));
  EXPECT_THAT(reload.restart_needed, IsEmpty());
  EXPECT_EQ(reload.options.limits.stream_window_bytes, 65536u);
}

TEST(ConfigReloadTest, UnchangedFileChangesNothing) {
  testing::TempDir dir;
  const std::string config =
      dir.WriteFile("c.toml", "default_top_k = 2\nlisten = \"127.0.0.1:0\"\n");
  const DaemonOptions running = MustParse({"--config", config});
  const absl::StatusOr<SettingsReload> reload = ReloadSettings(running);
  ASSERT_TRUE(reload.ok()) << reload.status();
  EXPECT_THAT(reload->applied, IsEmpty());
  EXPECT_THAT(reload->restart_needed, IsEmpty());
}

TEST(ConfigReloadTest, RereadsTheFileAndFlagsStillWin) {
  testing::TempDir dir;
  const std::string config =
      dir.WriteFile("c.toml", "default_top_k = 2\nmax_document_bytes = 100\n");
  const DaemonOptions running =
      MustParse({"--config", config, "--max-document-bytes", "200"});
  dir.WriteFile("c.toml", "default_top_k = 4\nmax_document_bytes = 300\n");
  const absl::StatusOr<SettingsReload> reload = ReloadSettings(running);
  ASSERT_TRUE(reload.ok()) << reload.status();
  EXPECT_THAT(reload->applied, ElementsAre("default_top_k"));
  EXPECT_EQ(reload->options.limits.default_top_k, 4u);
  EXPECT_EQ(reload->options.limits.max_document_bytes, 200u);
}

TEST(ConfigReloadTest, ABrokenFileIsRefusedWhole) {
  testing::TempDir dir;
  const std::string config = dir.WriteFile("c.toml", "default_top_k = 2\n");
  const DaemonOptions running = MustParse({"--config", config});
  dir.WriteFile("c.toml", "default_top_k = 4\nlog_level = \"loud\"\n");
  const absl::StatusOr<SettingsReload> reload = ReloadSettings(running);
  EXPECT_TRUE(absl::IsInvalidArgument(reload.status()));
  EXPECT_THAT(reload.status().message(), HasSubstr("log-level"));
  dir.WriteFile("c.toml", "default_top_k = 4\nno_such_key = 1\n");
  EXPECT_THAT(ReloadSettings(running).status().message(),
              HasSubstr("unknown setting 'no_such_key'"));
}

TEST(ConfigReloadTest, NewSettingsAreValidated) {
  testing::TempDir dir;
  for (const std::string& bad :
       {std::string("default_deadline_ms = -1\n"),
        std::string("reload_stuck_timeout = 0\n"),
        std::string("listen = [\"a\", \"b\"]\n"),
        std::string("[limits]\ndefault_top_k = 1\n")}) {
    auto r =
        ParseOptions({"classifyd", "--config", dir.WriteFile("bad.toml", bad)});
    ASSERT_TRUE(IsParseError(r)) << bad;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("bad.toml")) << bad;
  }
}

// deploy/classifyd.toml is the documented default config: every setting
// appears as "# key = default" under a comment that says [reload] or
// [restart], truthfully, and uncommented it parses to the defaults.
TEST(ConfigReloadTest, ShippedConfigDocumentsEverySetting) {
  std::ifstream in(testing::SourceDir() + "/deploy/classifyd.toml");
  ASSERT_TRUE(in) << "deploy/classifyd.toml";
  // "# key = value", key of [a-z_]; returns {key, value} or {"", ""}.
  // (Not std::regex: GCC 12 warns inside <regex> under ASan.)
  const auto setting = [](const std::string& line) {
    const size_t eq = line.find(" = ");
    if (line.rfind("# ", 0) != 0 || eq == std::string::npos || eq <= 2) {
      return std::pair<std::string, std::string>();
    }
    const std::string key = line.substr(2, eq - 2);
    if (key.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") !=
        std::string::npos) {
      return std::pair<std::string, std::string>();
    }
    return std::pair(key, line.substr(eq + 3));
  };
  std::ostringstream uncommented;
  std::map<std::string, std::string> marker;  // key -> reload/restart
  std::string last_marker;
  std::string line;
  while (std::getline(in, line)) {
    const auto [key, value] = setting(line);
    if (!key.empty()) {
      EXPECT_EQ(marker.count(key), 0u) << "twice: " << key;
      marker[key] = last_marker;
      last_marker.clear();
      uncommented << key << " = " << value << "\n";
      continue;
    }
    if (line.find("[reload]") != std::string::npos) last_marker = "reload";
    if (line.find("[restart]") != std::string::npos) last_marker = "restart";
  }

  const DaemonOptions defaults = MustParse({});
  std::set<std::string> expected;
  for (const auto& [key, value] : defaults.settings) {
    if (key != "config" && key != "help" && key != "version") {
      expected.insert(key);
    }
  }
  std::set<std::string> documented;
  for (const auto& [key, m] : marker) {
    documented.insert(key);
    EXPECT_EQ(m, IsReloadableSetting(key) ? "reload" : "restart") << key;
  }
  EXPECT_EQ(documented, expected);

  testing::TempDir dir;
  const DaemonOptions o =
      MustParse({"--config", dir.WriteFile("all.toml", uncommented.str())});
  EXPECT_EQ(o.listen, defaults.listen);
  // plugin_dir and plugin_lib_dir defaults follow the install prefix; the
  // file shows the /usr layout.
  EXPECT_EQ(o.log_level, defaults.log_level);
  EXPECT_EQ(o.watch, defaults.watch);
  EXPECT_EQ(o.strict_modes, defaults.strict_modes);
  EXPECT_EQ(o.reload_debounce_ms, defaults.reload_debounce_ms);
  EXPECT_EQ(o.drain_timeout_seconds, defaults.drain_timeout_seconds);
  EXPECT_EQ(o.reload_stuck_timeout_seconds,
            defaults.reload_stuck_timeout_seconds);
  EXPECT_EQ(o.max_message_bytes, defaults.max_message_bytes);
  EXPECT_EQ(o.runtime_dir, defaults.runtime_dir);
  EXPECT_EQ(o.admin_socket, defaults.admin_socket);
  EXPECT_EQ(o.port_file, defaults.port_file);
  EXPECT_FALSE(o.tls.enabled());
  EXPECT_EQ(o.tls.client_auth, defaults.tls.client_auth);
  EXPECT_EQ(o.tls.reload_interval_seconds,
            defaults.tls.reload_interval_seconds);
  EXPECT_EQ(o.limits.max_document_bytes, defaults.limits.max_document_bytes);
  EXPECT_EQ(o.limits.max_batch_documents, defaults.limits.max_batch_documents);
  EXPECT_EQ(o.limits.stream_window, defaults.limits.stream_window);
  EXPECT_EQ(o.limits.stream_window_bytes, 16u << 20);
  EXPECT_EQ(o.limits.default_top_k, defaults.limits.default_top_k);
  EXPECT_FLOAT_EQ(o.limits.default_min_score,
                  defaults.limits.default_min_score);
  EXPECT_EQ(o.limits.default_deadline_ms, defaults.limits.default_deadline_ms);
  EXPECT_EQ(o.limits.plugin_timeout_ms, defaults.limits.plugin_timeout_ms);
}

}  // namespace
}  // namespace classifyd
