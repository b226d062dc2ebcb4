#include "plugin/manifest.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "config/toml_text.h"

namespace classifyd {
namespace fs = std::filesystem;
namespace {

std::string Resolve(const fs::path& base_dir, const std::string& p) {
  fs::path path(p);
  if (path.is_relative()) path = base_dir / path;
  return path.lexically_normal().string();
}

// A primary language subtag: 2 or 3 ASCII letters (BCP 47), not "und".
bool IsPrimaryLanguage(std::string_view s) {
  if (s.size() < 2 || s.size() > 3 || s == "und") return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c >= 'a' && c <= 'z'; });
}

// `languages = ["zh", "en"]` into *out, lower-cased. The errors here and
// below are INVALID_ARGUMENT saying what is wrong, without the manifest's
// name: ParseManifest() puts it in front.
absl::Status ParseLanguages(const toml::node& node,
                            std::vector<std::string>* out) {
  const char* kExpected =
      "`languages` must be a non-empty array of primary language subtags "
      "such as [\"zh\", \"en\"] (leave it out to cover every language)";
  const toml::array* array = node.as_array();
  if (array == nullptr || array->empty())
    return absl::InvalidArgumentError(kExpected);
  for (const toml::node& item : *array) {
    auto value = item.value_exact<std::string>();
    if (!value) return absl::InvalidArgumentError(kExpected);
    std::string tag = *value;
    for (char& c : tag) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    if (!IsPrimaryLanguage(tag)) {
      return absl::InvalidArgumentError(
          "`languages`: '" + *value +
          "' is not a primary language subtag (2 or 3 letters, e.g. "
          "\"zh\" for both zh-Hans and zh-Hant)");
    }
    if (std::find(out->begin(), out->end(), tag) != out->end()) {
      return absl::InvalidArgumentError("`languages` lists '" + tag +
                                        "' twice");
    }
    out->push_back(std::move(tag));
  }
  return absl::OkStatus();
}

// OK if every key of `table` is one a manifest may have.
absl::Status CheckKeys(const toml::table& table) {
  for (const auto& [key, node] : table) {
    const std::string_view k = key.str();
    if (k != "plugin" && k != "model" && k != "calibration" &&
        k != "weight" && k != "timeout_ms" && k != "max_model_bytes" &&
        k != "languages" && k != "isolation" && k != "warmup" &&
        k != "warmup_file" && k != "options") {
      return absl::InvalidArgumentError(
          "unknown key '" + std::string(k) +
          "' (expected plugin, model, calibration, weight, timeout_ms, "
          "max_model_bytes, languages, isolation, warmup, warmup_file, "
          "[options])");
    }
  }
  return absl::OkStatus();
}

// A file path key, relative to the manifest's directory `dir`, into *out
// (left empty when the key is absent). `quoted_key` is the key in
// backquotes, for the message.
absl::Status ParsePath(const toml::table& table, std::string_view quoted_key,
                       const fs::path& dir, std::string* out) {
  const toml::node* node =
      table.get(quoted_key.substr(1, quoted_key.size() - 2));
  if (node == nullptr) return absl::OkStatus();
  auto value = node->value_exact<std::string>();
  if (!value || value->empty()) {
    return absl::InvalidArgumentError(std::string(quoted_key) +
                                      " must be a non-empty string path");
  }
  *out = Resolve(dir, *value);
  return absl::OkStatus();
}

// `plugin`, `model` and `calibration`.
absl::Status ParseFiles(const toml::table& table, const fs::path& dir,
                        const std::string& plugin_lib_dir, Manifest* m) {
  auto plugin = table["plugin"].value_exact<std::string>();
  if (!plugin || plugin->empty()) {
    return absl::InvalidArgumentError("missing `plugin = \"<name or path>\"`");
  }
  m->plugin = *plugin;
  if (m->plugin.find('/') == std::string::npos) {
    if (!IsValidClassifierName(m->plugin)) {
      return absl::InvalidArgumentError("plugin name '" + m->plugin +
                                        "' is not a valid name");
    }
    m->library_path = Resolve(fs::absolute(plugin_lib_dir), m->plugin + ".so");
  } else {
    m->library_path = Resolve(dir, m->plugin);
  }
  absl::Status status = ParsePath(table, "`model`", dir, &m->model_path);
  if (status.ok()) {
    status = ParsePath(table, "`calibration`", dir, &m->calibration_path);
  }
  if (status.ok()) {
    status = ParsePath(table, "`warmup_file`", dir, &m->warmup_path);
  }
  return status;
}

// `warmup`, which excludes `warmup_file`.
absl::Status ParseWarmUp(const toml::table& table, Manifest* m) {
  const toml::node* node = table.get("warmup");
  if (node == nullptr) return absl::OkStatus();
  auto value = node->value_exact<std::string>();
  if (!value || value->empty()) {
    return absl::InvalidArgumentError(
        "`warmup` must be a non-empty string (the warm-up document)");
  }
  if (!m->warmup_path.empty()) {
    return absl::InvalidArgumentError(
        "set `warmup` or `warmup_file`, not both");
  }
  m->warmup_text = *value;
  return absl::OkStatus();
}

// `isolation`.
absl::Status ParseIsolation(const toml::table& table, Manifest* m) {
  const toml::node* node = table.get("isolation");
  if (node == nullptr) return absl::OkStatus();
  auto value = node->value_exact<std::string>();
  if (value && *value == "in-process") {
    m->isolation = Isolation::kInProcess;
  } else if (value && *value == "process") {
    m->isolation = Isolation::kProcess;
  } else {
    return absl::InvalidArgumentError(
        "`isolation` must be \"in-process\" (the default) or \"process\"");
  }
  return absl::OkStatus();
}

// `weight`, `timeout_ms`, `languages`, `isolation` and `[options]`.
absl::Status ParseSettings(const toml::table& table, Manifest* m) {
  if (absl::Status s = ParseIsolation(table, m); !s.ok()) return s;
  if (absl::Status s = ParseWarmUp(table, m); !s.ok()) return s;
  if (const toml::node* weight = table.get("weight")) {
    auto value = weight->value<double>();
    if (!value || !(*value > 0.0 && *value <= 10.0)) {
      return absl::InvalidArgumentError("`weight` must be a number in (0, 10]");
    }
    m->weight = *value;
  }
  if (const toml::node* timeout = table.get("timeout_ms")) {
    auto value = timeout->value_exact<int64_t>();
    if (!value || *value < 0 || *value > 3'600'000) {
      return absl::InvalidArgumentError(
          "`timeout_ms` must be an integer in [0, 3600000] (0: none)");
    }
    m->timeout_ms = static_cast<int>(*value);
  }
  if (const toml::node* limit = table.get("max_model_bytes")) {
    auto value = limit->value_exact<int64_t>();
    if (!value || *value < 1) {
      return absl::InvalidArgumentError(
          "`max_model_bytes` must be a positive integer (bytes)");
    }
    m->max_model_bytes = *value;
  }
  if (const toml::node* languages = table.get("languages")) {
    absl::Status s = ParseLanguages(*languages, &m->languages);
    if (!s.ok()) return s;
  }
  if (const toml::node* options = table.get("options")) {
    const toml::table* t = options->as_table();
    if (t == nullptr)
      return absl::InvalidArgumentError("`options` must be a table");
    for (const auto& [key, node] : *t) {
      auto text_value = TomlScalarText(node);
      if (!text_value) {
        return absl::InvalidArgumentError(
            "option '" + std::string(key.str()) +
            "' must be a string, number or boolean");
      }
      m->options.emplace_back(std::string(key.str()), *text_value);
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool IsValidClassifierName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  for (char c : name) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

std::string QuotedClassifierName(std::string_view name) {
  if (IsValidClassifierName(name)) {
    // Appended, not "'" + ... + "'": GCC 12 -Wrestrict false positive.
    std::string quoted(1, '\'');
    quoted.append(name).push_back('\'');
    return quoted;
  }
  return "(not a valid classifier name: " + std::to_string(name.size()) +
         " bytes)";
}

absl::StatusOr<Manifest> ParseManifest(std::string_view text,
                                       const std::string& manifest_path,
                                       const std::string& plugin_lib_dir) {
  Manifest m;
  const fs::path path = fs::absolute(manifest_path).lexically_normal();
  m.manifest_path = path.string();
  m.name = path.stem().string();
  const std::string where = "manifest '" + m.manifest_path + "'";
  if (!IsValidClassifierName(m.name)) {
    return absl::InvalidArgumentError(
        where +
        ": the file name must be <name>.toml where <name> is 1-64 letters, "
        "digits, '.', '_' or '-'");
  }

  toml::table table;
  try {
    table = toml::parse(text, m.manifest_path);
  } catch (const toml::parse_error& e) {
    std::ostringstream out;
    out << where << ": invalid TOML at line " << e.source().begin.line
        << ", column " << e.source().begin.column << ": " << e.description();
    return absl::InvalidArgumentError(out.str());
  }

  absl::Status status = CheckKeys(table);
  if (status.ok()) {
    status = ParseFiles(table, path.parent_path(), plugin_lib_dir, &m);
  }
  if (status.ok()) status = ParseSettings(table, &m);
  if (!status.ok()) {
    return absl::InvalidArgumentError(where + ": " +
                                      std::string(status.message()));
  }
  return m;
}

absl::StatusOr<Manifest> LoadManifest(const std::string& path,
                                      const std::string& plugin_lib_dir) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read manifest '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    return absl::NotFoundError("cannot read manifest '" + path + "'");
  return ParseManifest(text.str(), path, plugin_lib_dir);
}

}  // namespace classifyd
