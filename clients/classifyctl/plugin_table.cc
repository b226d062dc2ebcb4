#include "plugin_table.h"

#include <string>
#include <utility>

#include "text_table.h"

namespace classifyctl {
namespace {

// Not `if (s.empty()) s = "-"`: assigning a literal there trips GCC 12's
// -Wrestrict false positive (PR 105329) at -O3.
std::string OrDash(std::string text) {
  if (text.empty()) text.push_back('-');
  return text;
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ",";
    out += item;
  }
  return out;
}

}  // namespace

void PrintPluginTable(const google::protobuf::RepeatedPtrField<
                          classifyd::v1::PluginInfo>& plugins,
                      std::FILE* out) {
  if (plugins.empty()) {
    std::fprintf(out,
                 "no classifiers loaded (a <name>.toml manifest in the "
                 "daemon's --plugin-dir declares one)\n");
    return;
  }
  TextTable table({"NAME", "STATE", "GEN", "PLUGIN", "LANGUAGES", "LABELS"});
  for (const auto& info : plugins) {
    std::string plugin = info.plugin();
    if (!info.version().empty()) plugin += " " + info.version();
    // No languages listed: it covers every one. A classifier that never
    // loaded has no manifest of its own to say.
    std::string languages = Join(info.languages());
    if (languages.empty() && !info.plugin().empty()) languages = "all";
    table.AddRow({info.name(),
                  classifyd::v1::PluginInfo::State_Name(info.state()),
                  std::to_string(info.generation()), OrDash(std::move(plugin)),
                  OrDash(std::move(languages)),
                  OrDash(Join(info.labels()))});
    if (!info.error().empty()) table.AddNote("error: " + info.error());
    if (info.stuck_calls() > 0) {
      table.AddNote("stuck: " + std::to_string(info.stuck_calls()) +
                    " call(s) past the time limit have not returned; "
                    "skipped until they do (" +
                    std::to_string(info.timed_out_calls()) +
                    " timed out in all)");
    } else if (info.timed_out_calls() > 0) {
      table.AddNote("timed out: " + std::to_string(info.timed_out_calls()) +
                    " call(s) in all, none stuck now");
    }
  }
  table.Print(out);
}

}  // namespace classifyctl
