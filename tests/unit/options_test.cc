#include "server/options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace classifyd {
namespace {

using ::testing::HasSubstr;

bool IsParseError(const absl::StatusOr<DaemonOptions>& r) {
  return absl::IsInvalidArgument(r.status());
}

absl::StatusOr<DaemonOptions> ParseArgs(std::vector<std::string> args) {
  args.insert(args.begin(), "classifyd");
  return ParseOptions(args);
}

const DaemonOptions& Ok(const absl::StatusOr<DaemonOptions>& r) {
  if (!r.ok()) {
    ADD_FAILURE() << "parse failed: " << r.status().message();
    static DaemonOptions defaults;
    return defaults;
  }
  return *r;
}

TEST(OptionsTest, Defaults) {
  const auto r = ParseArgs({});
  const DaemonOptions& o = Ok(r);
  EXPECT_EQ(o.listen, "127.0.0.1:50051");
  EXPECT_EQ(o.limits.max_document_bytes, 1u << 20);
  EXPECT_EQ(o.log_level, "info");
  EXPECT_FALSE(o.runtime_dir.empty());
}

TEST(OptionsTest, FlagsSetEverything) {
  const auto r =
      ParseArgs({"--listen", "127.0.0.1:6000", "--plugin-dir", "/p",
                 "--max-document-bytes", "2048", "--log-level", "debug",
                 "--stream-window", "64", "--stream-window-bytes", "1048576"});
  const DaemonOptions& o = Ok(r);
  EXPECT_EQ(o.listen, "127.0.0.1:6000");
  EXPECT_EQ(o.plugin_dir, "/p");
  EXPECT_EQ(o.limits.max_document_bytes, 2048u);
  EXPECT_EQ(o.limits.stream_window, 64u);
  EXPECT_EQ(o.limits.stream_window_bytes, 1048576u);
  EXPECT_EQ(o.log_level, "debug");
}

TEST(OptionsTest, ConfigFileUsesUnderscoreKeysAndFlagsWin) {
  testing::TempDir dir;
  const std::string config = dir.WriteFile(
      "classifyd.toml",
      "listen = \"127.0.0.1:7000\"\nplugin_dir = \"/from/config\"\n"
      "max_document_bytes = 4096\ndefault_min_score = 0.25\n");
  const auto r = ParseArgs({"--config", config, "--listen", "127.0.0.1:7001"});
  const DaemonOptions& o = Ok(r);
  EXPECT_EQ(o.listen, "127.0.0.1:7001");
  EXPECT_EQ(o.plugin_dir, "/from/config");
  EXPECT_EQ(o.limits.max_document_bytes, 4096u);
  EXPECT_FLOAT_EQ(o.limits.default_min_score, 0.25f);
}

TEST(OptionsTest, ConfigFileErrorsNameTheFileAndKey) {
  testing::TempDir dir;
  const auto unknown = ParseArgs(
      {"--config", dir.WriteFile("a.toml", "plugin_dri = \"/typo\"\n")});
  ASSERT_TRUE(IsParseError(unknown));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(),
              HasSubstr("unknown setting 'plugin_dri'"));

  const auto syntax =
      ParseArgs({"--config", dir.WriteFile("b.toml", "listen = \n")});
  ASSERT_TRUE(IsParseError(syntax));
  EXPECT_THAT(syntax.status().message(), HasSubstr("b.toml"));

  const auto value = ParseArgs(
      {"--config", dir.WriteFile("c.toml", "max_document_bytes = \"big\"\n")});
  ASSERT_TRUE(IsParseError(value));
  EXPECT_THAT(value.status().message(), HasSubstr("max-document-bytes"));

  const auto array =
      ParseArgs({"--config", dir.WriteFile("d.toml", "listen = [\"a\"]\n")});
  ASSERT_TRUE(IsParseError(array));
  EXPECT_THAT(array.status().message(),
              HasSubstr("config file '" + dir.path() +
                        "/d.toml': setting 'listen' must be a string, "
                        "number or boolean"));

  // A file cannot name another.
  const auto nested = ParseArgs(
      {"--config", dir.WriteFile("n.toml", "config = \"other.toml\"\n")});
  ASSERT_TRUE(IsParseError(nested));
  EXPECT_THAT(nested.status().message(), HasSubstr("unknown setting 'config'"));

  const auto missing = ParseArgs({"--config", dir.path() + "/none.toml"});
  ASSERT_TRUE(IsParseError(missing));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OptionsTest, EmptyStringInConfigDoesNotSwallowTheNextSetting) {
  testing::TempDir dir;
  const auto r = ParseArgs({"--config", dir.WriteFile("e.toml",
                                                      "port_file = \"\"\n"
                                                      "default_top_k = 7\n")});
  const DaemonOptions& o = Ok(r);
  EXPECT_EQ(o.port_file, "");
  EXPECT_EQ(o.limits.default_top_k, 7u);
}

TEST(OptionsTest, RejectsBadValuesAndUnknownFlags) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--log-level", "loud"},
           {"--max-document-bytes", "0"},
           {"--default-min-score", "2"},
           {"--no-such-flag"}}) {
    const auto r = ParseArgs(args);
    ASSERT_TRUE(IsParseError(r)) << args[0];
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << args[0];
  }
}

TEST(OptionsTest, TlsAndTimeoutSettingsFromFlagsAndConfig) {
  testing::TempDir dir;
  const std::string config =
      dir.WriteFile("classifyd.toml",
                    "tls_cert = \"/c.crt\"\ntls_key = \"/c.key\"\n"
                    "tls_client_ca = \"/ca.crt\"\ntls_reload_interval = 5\n"
                    "plugin_timeout_ms = 750\n"
                    "plugin_batch_scheduling = false\n");
  const auto r =
      ParseArgs({"--config", config, "--tls-client-auth", "request"});
  const DaemonOptions& o = Ok(r);
  EXPECT_EQ(o.tls.cert_file, "/c.crt");
  EXPECT_EQ(o.tls.key_file, "/c.key");
  EXPECT_EQ(o.tls.client_ca_file, "/ca.crt");
  EXPECT_EQ(o.tls.client_auth, "request");
  EXPECT_EQ(o.tls.reload_interval_seconds, 5u);
  EXPECT_EQ(o.limits.plugin_timeout_ms, 750);
  EXPECT_FALSE(o.invoker.batch_scheduling);
  EXPECT_TRUE(IsParseError(ParseArgs({"--tls-client-auth", "sometimes"})));
  EXPECT_EQ(Ok(ParseArgs({})).limits.plugin_timeout_ms,
            10'000);  // On by default.
  EXPECT_EQ(Ok(ParseArgs({"--plugin-workers", "2", "--plugin-queue", "9"}))
                .invoker.workers_per_classifier,
            2u);
  EXPECT_EQ(Ok(ParseArgs({"--plugin-queue", "9"})).invoker.max_queued_calls,
            9u);
  EXPECT_TRUE(IsParseError(ParseArgs({"--plugin-workers", "0"})));
  EXPECT_TRUE(Ok(ParseArgs({})).invoker.batch_scheduling);
  EXPECT_FALSE(Ok(ParseArgs({"--plugin-batch-scheduling", "false"}))
                   .invoker.batch_scheduling);
  for (const char* bad : {"-1", "3600001", "1.5", "soon"}) {
    const auto refused = ParseArgs({"--plugin-timeout-ms", bad});
    ASSERT_TRUE(IsParseError(refused)) << bad;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_THAT(refused.status().message(), HasSubstr("--plugin-timeout-ms"))
        << bad;
  }
  const auto from_config = ParseArgs(
      {"--config", dir.WriteFile("bad.toml", "plugin_timeout_ms = -5\n")});
  ASSERT_TRUE(IsParseError(from_config));
  EXPECT_EQ(from_config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(from_config.status().message(), HasSubstr("plugin-timeout-ms"));
}

TEST(OptionsTest, HelpDocumentsEveryFlag) {
  const auto r = ParseArgs({"--help"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->print_and_exit, HasSubstr("Usage"));
  for (const char* flag :
       {"--listen", "--config", "--plugin-dir", "--plugin-lib-dir",
        "--log-level", "--max-document-bytes", "--drain-timeout",
        "--plugin-timeout-ms"}) {
    EXPECT_THAT(r->print_and_exit, HasSubstr(flag));
  }
}

}  // namespace
}  // namespace classifyd
