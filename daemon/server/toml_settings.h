// The daemon's settings file (--config), read for CLI11: toml++ parses the
// file and each top-level key becomes the flag of the same name with `-`
// for `_` (`plugin_dir` sets --plugin-dir). CLI11 then checks and applies
// the values as it does flags, and a flag given on the command line wins
// over the file.
//
// Thread-safe: const after construction.
#ifndef CLASSIFYD_DAEMON_SERVER_TOML_SETTINGS_H_
#define CLASSIFYD_DAEMON_SERVER_TOML_SETTINGS_H_

#include <CLI/CLI.hpp>

#include <istream>
#include <string>
#include <vector>

namespace classifyd {

class TomlSettings final : public CLI::Config {
 public:
  // REQUIRES: `app` outlives this formatter; it names the known settings.
  explicit TomlSettings(const CLI::App* app) : app_(app) {}

  // Writing a settings file is not supported: "".
  std::string to_config(const CLI::App*, bool, bool,
                        std::string) const override {
    return "";
  }

  // One item per key. Throws CLI::ConfigError for a syntax error (with its
  // line and column), a key that is no setting, or a value that is not a
  // string, number or boolean.
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;

 private:
  const CLI::App* app_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVER_TOML_SETTINGS_H_
