#include "plugin/classifier.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <exception>
#include <utility>

namespace classifyd {
namespace {

void HostLog(void* context, classifyd_log_level level, const char* message,
             size_t size) {
  const auto* name = static_cast<const std::string*>(context);
  const std::string_view text(message, message != nullptr ? size : 0);
  spdlog::level::level_enum spd = spdlog::level::info;
  switch (level) {
    case CLASSIFYD_LOG_DEBUG: spd = spdlog::level::debug; break;
    case CLASSIFYD_LOG_INFO: spd = spdlog::level::info; break;
    case CLASSIFYD_LOG_WARN: spd = spdlog::level::warn; break;
    default: spd = spdlog::level::err; break;
  }
  spdlog::log(spd, "classifier {}: {}", *name, text);
}

void CopyError(void* context, const char* message, size_t size) {
  auto* out = static_cast<std::string*>(context);
  if (message != nullptr) out->assign(message, size);
}

struct SinkState {
  std::vector<DocumentOutcome>* outcomes;
  std::string call_error;
};

classifyd_status AddLabel(void* context, size_t index, const char* label,
                          size_t label_size, float score,
                          const classifyd_string* evidence,
                          size_t evidence_count) {
  auto* state = static_cast<SinkState*>(context);
  if (index >= state->outcomes->size()) return CLASSIFYD_OUT_OF_RANGE;
  if (label == nullptr || label_size == 0 || !std::isfinite(score)) {
    return CLASSIFYD_INVALID_ARGUMENT;
  }
  PluginLabel l;
  l.name.assign(label, label_size);
  l.score = std::clamp(score, 0.0f, 1.0f);
  if (evidence != nullptr) {
    l.evidence.reserve(evidence_count);
    for (size_t i = 0; i < evidence_count; ++i) {
      if (evidence[i].data != nullptr) {
        l.evidence.emplace_back(evidence[i].data, evidence[i].size);
      }
    }
  }
  (*state->outcomes)[index].labels.push_back(std::move(l));
  return CLASSIFYD_OK;
}

void SetDocumentError(void* context, size_t index, classifyd_status code,
                      const char* message, size_t size) {
  auto* state = static_cast<SinkState*>(context);
  if (index >= state->outcomes->size()) return;
  DocumentOutcome& outcome = (*state->outcomes)[index];
  outcome.labels.clear();
  outcome.code = code == CLASSIFYD_OK ? CLASSIFYD_UNKNOWN : code;
  outcome.message.assign(message != nullptr ? message : "", size);
}

void SetCallError(void* context, const char* message, size_t size) {
  auto* state = static_cast<SinkState*>(context);
  if (message != nullptr) state->call_error.assign(message, size);
}

void AddListedLabel(void* context, const char* label, size_t size) {
  auto* labels = static_cast<std::vector<std::string>*>(context);
  if (label != nullptr && size > 0) labels->emplace_back(label, size);
}

}  // namespace

Classifier::Classifier(const Manifest& manifest,
                       std::shared_ptr<PluginLibrary> library,
                       uint64_t generation)
    : manifest_(manifest),
      library_(std::move(library)),
      generation_(generation) {
  host_api_.struct_size = sizeof(host_api_);
  host_api_.abi_major = CLASSIFYD_ABI_MAJOR;
  host_api_.abi_minor = CLASSIFYD_ABI_MINOR;
  host_api_.host_context = &manifest_.name;
  host_api_.log = &HostLog;
}

std::variant<std::unique_ptr<Classifier>, std::string> Classifier::Create(
    const Manifest& manifest, std::shared_ptr<PluginLibrary> library,
    uint64_t generation) {
  std::unique_ptr<Classifier> c(
      new Classifier(manifest, std::move(library), generation));
  const classifyd_plugin_api& api = c->library_->api();

  std::vector<classifyd_option> options;
  options.reserve(manifest.options.size());
  for (const auto& [key, value] : c->manifest_.options) {
    options.push_back({{key.data(), key.size()}, {value.data(), value.size()}});
  }
  classifyd_instance_config config{};
  config.struct_size = sizeof(config);
  config.name = c->manifest_.name.c_str();
  config.model_path =
      manifest.model_path.empty() ? nullptr : c->manifest_.model_path.c_str();
  config.options = options.data();
  config.option_count = options.size();
  config.host = &c->host_api_;

  std::string error;
  classifyd_error_sink sink{&error, &CopyError};
  classifyd_status status = CLASSIFYD_UNKNOWN;
  classifyd_instance* instance = nullptr;
  try {
    status = api.create(&config, &sink, &instance);
  } catch (...) {
    return "plugin '" + c->library_->name() +
           "' let an exception escape from create()";
  }
  if (status != CLASSIFYD_OK || instance == nullptr) {
    return "plugin '" + c->library_->name() + "' could not create classifier '" +
           manifest.name + "': " +
           (error.empty() ? "no reason given (status " +
                                std::to_string(static_cast<int>(status)) + ")"
                          : error);
  }
  c->instance_ = instance;

  classifyd_label_sink labels{&c->labels_, &AddListedLabel};
  status = api.list_labels(instance, &labels);
  if (status != CLASSIFYD_OK) {
    return "classifier '" + manifest.name + "' could not list its labels";
  }
  return c;
}

Classifier::~Classifier() {
  if (instance_ != nullptr) library_->api().destroy(instance_);
}

void Classifier::ClassifyBatch(std::span<const std::string_view> texts,
                               uint32_t top_k, float min_score,
                               std::vector<DocumentOutcome>* outcomes) const {
  outcomes->assign(texts.size(), DocumentOutcome{});
  std::vector<classifyd_document> documents;
  documents.reserve(texts.size());
  for (std::string_view t : texts) documents.push_back({{t.data(), t.size()}});

  SinkState state{outcomes, {}};
  classifyd_result_sink sink{&state, &AddLabel, &SetDocumentError,
                             {&state, &SetCallError}};
  classifyd_classify_options options{sizeof(options), top_k, min_score};
  classifyd_status status = CLASSIFYD_UNKNOWN;
  try {
    status = library_->api().classify_batch(instance_, documents.data(),
                                            documents.size(), &options, &sink);
  } catch (...) {
    state.call_error = "the plugin let an exception escape";
    status = CLASSIFYD_INTERNAL;
  }
  if (status != CLASSIFYD_OK) {
    const std::string message =
        "classifier '" + manifest_.name + "' failed: " +
        (state.call_error.empty() ? "no reason given" : state.call_error);
    for (DocumentOutcome& outcome : *outcomes) {
      outcome.labels.clear();
      outcome.code = status;
      outcome.message = message;
    }
  }
}

}  // namespace classifyd
