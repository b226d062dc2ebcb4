#include "server/toml_settings.h"

#include <toml++/toml.h>

#include <algorithm>
#include <sstream>

#include "config/toml_text.h"

namespace classifyd {
namespace {

toml::table Parse(std::istream& input) {
  try {
    return toml::parse(input);
  } catch (const toml::parse_error& e) {
    std::ostringstream out;
    if (e.source().begin.line > 0) {
      out << "line " << e.source().begin.line << ", column "
          << e.source().begin.column << ": ";
    }
    out << e.description();
    throw CLI::ConfigError(out.str());
  }
}

}  // namespace

std::vector<CLI::ConfigItem> TomlSettings::from_config(
    std::istream& input) const {
  std::vector<CLI::ConfigItem> items;
  for (const auto& [key, node] : Parse(input)) {
    CLI::ConfigItem item;
    item.name = std::string(key.str());
    std::replace(item.name.begin(), item.name.end(), '_', '-');
    const CLI::Option* option = app_->get_option_no_throw("--" + item.name);
    if (option == nullptr || option == app_->get_config_ptr()) {
      throw CLI::ConfigError("unknown setting '" + std::string(key.str()) +
                             "'");
    }
    auto value = TomlScalarText(node);
    if (!value) {
      throw CLI::ConfigError("setting '" + std::string(key.str()) +
                             "' must be a string, number or boolean");
    }
    item.inputs.push_back(std::move(*value));
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace classifyd
