#include "service/plugin_info.h"

namespace classifyd {
namespace {

v1::PluginInfo::State ToProto(ClassifierState state) {
  switch (state) {
    case ClassifierState::kLoading: return v1::PluginInfo::LOADING;
    case ClassifierState::kReady: return v1::PluginInfo::READY;
    case ClassifierState::kFailed: return v1::PluginInfo::FAILED;
    case ClassifierState::kUnloading: return v1::PluginInfo::UNLOADING;
  }
  return v1::PluginInfo::STATE_UNSPECIFIED;
}

}  // namespace

void FillPluginInfo(const ClassifierStatus& status, Visibility visibility,
                    v1::PluginInfo* info) {
  const bool admin = visibility == Visibility::kAdmin;
  info->set_name(status.name);
  info->set_state(ToProto(status.state));
  if (!status.error.empty()) {
    info->set_error(admin ? status.error : std::string(kPublicLoadError));
  }
  if (admin) info->set_manifest_path(status.manifest_path);
  if (const Classifier* c = status.serving.get()) {
    info->set_plugin(c->library().name());
    info->set_version(c->library().version());
    info->set_abi_version(c->library().abi_version());
    for (const std::string& label : c->labels()) info->add_labels(label);
    info->set_generation(c->generation());
    if (admin) {
      info->set_library_path(c->manifest().library_path);
      info->set_model_path(c->manifest().model_path);
      info->set_calibration_path(c->manifest().calibration_path);
    }
    info->set_weight(static_cast<float>(c->manifest().weight));
    for (const std::string& language : c->manifest().languages) {
      info->add_languages(language);
    }
    info->set_stuck_calls(
        static_cast<uint32_t>(c->call_health().stuck_calls.load()));
    info->set_timed_out_calls(c->call_health().timed_out_calls.load());
  }
}

}  // namespace classifyd
