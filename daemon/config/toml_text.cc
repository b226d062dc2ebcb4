#include "config/toml_text.h"

#include <sstream>

namespace classifyd {

std::optional<std::string> TomlScalarText(const toml::node& node) {
  if (auto v = node.value_exact<std::string>()) return *v;
  if (auto v = node.value_exact<int64_t>()) return std::to_string(*v);
  if (auto v = node.value_exact<bool>()) return *v ? "true" : "false";
  if (auto v = node.value_exact<double>()) {
    std::ostringstream out;
    out.precision(17);
    out << *v;
    return out.str();
  }
  return std::nullopt;
}

}  // namespace classifyd
