// Renders TOML scalars as text, the form in which manifest options reach
// plugins and config-file settings reach the flag parser.
#ifndef CLASSIFYD_DAEMON_CONFIG_TOML_TEXT_H_
#define CLASSIFYD_DAEMON_CONFIG_TOML_TEXT_H_

#include <optional>
#include <string>
#include <toml++/toml.h>

namespace classifyd {

// Strings as themselves, integers and floats in decimal (floats with
// enough digits to round-trip), booleans as "true"/"false"; nullopt for
// arrays, tables and dates.
std::optional<std::string> TomlScalarText(const toml::node& node);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_CONFIG_TOML_TEXT_H_
