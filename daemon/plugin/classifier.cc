#include "plugin/classifier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "isolation/isolated_process.h"
#include "plugin/plugin_status.h"

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

// A message from create()'s error sink, already fit for a load error.
void CopyError(void* context, const char* message, size_t size) {
  auto* out = static_cast<std::string*>(context);
  PluginMessage checked = CheckMessage(message, size);
  *out = checked.problem.empty() ? std::move(checked.text)
                                 : "(the plugin gave " + checked.problem + ")";
}

// What the sinks of one classify_batch() call collect. Every result is
// checked (plugin/result_check.h) before it is copied.
struct SinkState {
  const Classifier* classifier;
  std::vector<DocumentOutcome>* outcomes;
  // Room made for a document's labels at its first: the call's top_k
  // (plugins give at most that many), within reason.
  size_t label_reserve;
  std::vector<DocumentTally> tallies;
  // Per document: 1 once the plugin broke a rule on it (its error is
  // INTERNAL and stays), or reported an error for it itself.
  std::vector<char> broken;
  std::vector<char> failed;
  std::string call_error;          // Checked; empty if none or unusable.
  std::string call_error_problem;  // Why the call's message is unusable.
};

// Turns document `index` into that classifier's INTERNAL error for a
// result that broke a rule; later results for it are ignored.
void BreakDocument(SinkState* state, size_t index, const std::string& problem) {
  DocumentOutcome& outcome = (*state->outcomes)[index];
  outcome.labels.clear();
  outcome.code = CLASSIFYD_INTERNAL;
  outcome.message =
      "classifier '" + state->classifier->name() + "' returned " + problem;
  state->broken[index] = 1;
  state->failed[index] = 1;
  state->classifier->ReportBrokenResult(outcome.message);
}

classifyd_status AddLabel(void* context, size_t index, const char* label,
                          size_t label_size, float score,
                          const classifyd_string* evidence,
                          size_t evidence_count) {
  auto* state = static_cast<SinkState*>(context);
  if (index >= state->outcomes->size()) return CLASSIFYD_OUT_OF_RANGE;
  if (state->failed[index]) return CLASSIFYD_FAILED_PRECONDITION;
  std::string_view name;
  std::string problem = CheckLabel(
      label, label_size, score, evidence, evidence_count,
      state->classifier->declared_labels(), &state->tallies[index], &name);
  if (problem.empty() && evidence_count > 0 &&
      (state->classifier->capabilities() & CLASSIFYD_CAP_EVIDENCE) == 0) {
    problem =
        "evidence, though the plugin does not declare CLASSIFYD_CAP_EVIDENCE";
  }
  if (!problem.empty()) {
    BreakDocument(state, index, problem);
    return CLASSIFYD_INVALID_ARGUMENT;
  }
  std::vector<PluginLabel>& labels = (*state->outcomes)[index].labels;
  if (labels.empty()) labels.reserve(state->label_reserve);
  PluginLabel& l = labels.emplace_back();
  l.name = name;
  l.score = score;
  l.evidence.reserve(evidence_count);
  for (size_t i = 0; i < evidence_count; ++i) {
    if (evidence[i].data != nullptr) {
      l.evidence.emplace_back(evidence[i].data, evidence[i].size);
    }
  }
  return CLASSIFYD_OK;
}

void SetDocumentError(void* context, size_t index, classifyd_status code,
                      const char* message, size_t size) {
  auto* state = static_cast<SinkState*>(context);
  if (index >= state->outcomes->size() || state->broken[index]) return;
  if (code == CLASSIFYD_OK) code = CLASSIFYD_UNKNOWN;
  if (std::string problem = StatusProblem(code); !problem.empty()) {
    BreakDocument(state, index, problem + " for a document");
    return;
  }
  PluginMessage checked = CheckMessage(message, size);
  if (!checked.problem.empty()) {
    BreakDocument(state, index, checked.problem);
    return;
  }
  DocumentOutcome& outcome = (*state->outcomes)[index];
  outcome.labels.clear();
  outcome.code = code;
  outcome.message = std::move(checked.text);
  state->failed[index] = 1;
}

void SetCallError(void* context, const char* message, size_t size) {
  auto* state = static_cast<SinkState*>(context);
  PluginMessage checked = CheckMessage(message, size);
  state->call_error = std::move(checked.text);
  state->call_error_problem = std::move(checked.problem);
}

// What list_labels() reports, checked; the first problem stops the load.
struct ListedLabels {
  DeclaredLabels* labels;
  std::string problem;
  std::string error;  // From the sink's error sink (ABI 1.1), checked.
};

void AddListedLabel(void* context, const char* label, size_t size) {
  auto* listed = static_cast<ListedLabels*>(context);
  if (!listed->problem.empty()) return;
  listed->problem = listed->labels->Add(label, size);
}

// Every outcome of a call whose classify_batch() returned `status` (not OK)
// gets that failure, with a message built from what the sinks collected.
void FailCall(const Classifier& classifier, classifyd_status status,
              const SinkState& state, std::vector<DocumentOutcome>* outcomes) {
  // A status that is not a status code, or a message that cannot be sent,
  // breaks the contract; anything else is the plugin's own failure.
  const std::string who = "classifier '" + classifier.name() + "'";
  const std::string status_problem = StatusProblem(status);
  std::string message;
  if (!status_problem.empty()) {
    message = who + " returned " + status_problem + " from classify_batch()";
  } else if (!state.call_error_problem.empty()) {
    message = who + " failed and returned " + state.call_error_problem;
  } else {
    message = who + " failed: " +
              (state.call_error.empty() ? "no reason given" : state.call_error);
  }
  if (!status_problem.empty() || !state.call_error_problem.empty()) {
    status = CLASSIFYD_INTERNAL;
    classifier.ReportBrokenResult(message);
  }
  for (DocumentOutcome& outcome : *outcomes) {
    outcome.labels.clear();
    outcome.code = status;
    outcome.message = message;
  }
}

// Makes the sink calls an isolated classifier's child recorded, through the
// same checks as an in-process plugin's; returns the call's status.
classifyd_status Replay(const isolation::ClassifyReply& reply,
                        SinkState* state) {
  std::vector<classifyd_string> evidence;
  for (const isolation::SinkCall& call : reply.calls()) {
    if (call.has_add_label()) {
      const auto& add = call.add_label();
      evidence.clear();
      for (const std::string& e : add.evidence()) {
        evidence.push_back({e.data(), e.size()});
      }
      AddLabel(state, add.document(), add.label().data(), add.label().size(),
               add.score(), evidence.data(), evidence.size());
    } else if (call.has_document_error()) {
      const auto& error = call.document_error();
      SetDocumentError(state, error.document(),
                       static_cast<classifyd_status>(error.code()),
                       error.message().data(), error.message().size());
    } else if (call.has_call_error()) {
      SetCallError(state, call.call_error().data(), call.call_error().size());
    }
  }
  if (reply.results_too_large()) {
    state->call_error_problem =
        "more than " + std::to_string(isolation::kMaxRecordedBytes >> 20) +
        " MiB of results for one call";
    return CLASSIFYD_INTERNAL;
  }
  if (reply.threw()) {
    state->call_error = "the plugin let an exception escape";
    state->call_error_problem.clear();
    return CLASSIFYD_INTERNAL;
  }
  return static_cast<classifyd_status>(reply.status());
}

SinkState NewSinkState(const Classifier* classifier, uint32_t top_k,
                       std::vector<DocumentOutcome>* outcomes) {
  const size_t n = outcomes->size();
  constexpr uint32_t kMostLabelsReserved = 16;
  return SinkState{classifier,
                   outcomes,
                   std::min(top_k, kMostLabelsReserved),
                   std::vector<DocumentTally>(n),
                   std::vector<char>(n, 0),
                   std::vector<char>(n, 0),
                   {},
                   {}};
}

}  // namespace

Classifier::Classifier(const Manifest& manifest,
                       std::shared_ptr<PluginLibrary> library,
                       uint64_t generation)
    : manifest_(manifest),
      library_(std::move(library)),
      generation_(generation),
      capabilities_(library_->has_api() ? library_->api().capabilities : 0) {
  host_api_.struct_size = sizeof(host_api_);
  host_api_.abi_major = CLASSIFYD_ABI_MAJOR;
  host_api_.abi_minor = CLASSIFYD_ABI_MINOR;
  host_api_.host_context = &manifest_.name;
  host_api_.log = &HostLog;
}

absl::StatusOr<std::unique_ptr<Classifier>> Classifier::Create(
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
    return absl::FailedPreconditionError(
        "plugin '" + c->library_->name() +
        "' let an exception escape from create()");
  }
  if (status != CLASSIFYD_OK || instance == nullptr) {
    return absl::FailedPreconditionError(
        "plugin '" + c->library_->name() + "' could not create classifier '" +
        manifest.name + "': " +
        (error.empty() ? "no reason given (status " +
                             std::to_string(static_cast<int>(status)) + ")"
                       : error));
  }
  c->instance_ = instance;

  ListedLabels listed{&c->declared_labels_, {}, {}};
  classifyd_label_sink labels{
      &listed, &AddListedLabel, {&listed.error, &CopyError}};
  try {
    status = api.list_labels(instance, &labels);
  } catch (...) {
    status = CLASSIFYD_INTERNAL;
  }
  if (status != CLASSIFYD_OK) {
    return absl::FailedPreconditionError(
        "classifier '" + manifest.name + "' could not list its labels" +
        (listed.error.empty() ? "" : ": " + listed.error));
  }
  if (!listed.problem.empty()) {
    return absl::FailedPreconditionError("classifier '" + manifest.name +
                                         "' listed " + listed.problem);
  }
  return c;
}

absl::StatusOr<std::unique_ptr<Classifier>> Classifier::CreateIsolated(
    const Manifest& manifest, int library_fd,
    const isolation::IsolationSettings& settings, uint64_t generation) {
  auto process =
      isolation::IsolatedProcess::Start(manifest, library_fd, settings);
  if (!process.ok()) {
    if (absl::IsFailedPrecondition(process.status())) {
      return process.status();
    }
    return absl::FailedPreconditionError(
        "classifier '" + manifest.name +
        "' could not start: " + std::string(process.status().message()));
  }
  const isolation::Ready& ready = (*process)->ready();
  // Shown by ListPlugins, so they must be fit for a response.
  for (const std::string& text :
       {ready.plugin_name(), ready.plugin_version()}) {
    if (text.empty() || text.size() > kMaxLabelBytes ||
        !Utf8Problem(text).empty()) {
      return absl::FailedPreconditionError(
          "plugin '" + manifest.library_path +
          "' reported a name or version that is empty, longer than " +
          std::to_string(kMaxLabelBytes) + " bytes or not UTF-8");
    }
  }
  std::unique_ptr<Classifier> c(new Classifier(
      manifest,
      PluginLibrary::Describe(manifest.library_path, ready.plugin_name(),
                              ready.plugin_version(), ready.abi_major(),
                              ready.abi_minor()),
      generation));
  for (const std::string& label : ready.labels()) {
    std::string problem = c->declared_labels_.Add(label.data(), label.size());
    if (!problem.empty()) {
      return absl::FailedPreconditionError("classifier '" + manifest.name +
                                           "' listed " + problem);
    }
  }
  c->capabilities_ = ready.capabilities();
  c->isolated_ = *std::move(process);
  return c;
}

Classifier::~Classifier() {
  if (instance_ != nullptr) library_->api().destroy(instance_);
}

void Classifier::ClassifyBatch(std::span<const std::string_view> texts,
                               uint32_t top_k, float min_score,
                               std::vector<DocumentOutcome>* outcomes) const {
  if (isolated_ != nullptr) {
    ClassifyIsolated(texts, top_k, min_score, outcomes);
    return;
  }
  outcomes->assign(texts.size(), DocumentOutcome{});
  std::vector<classifyd_document> documents;
  documents.reserve(texts.size());
  for (std::string_view t : texts) documents.push_back({{t.data(), t.size()}});

  SinkState state = NewSinkState(this, top_k, outcomes);
  classifyd_result_sink sink{&state, &AddLabel, &SetDocumentError,
                             {&state, &SetCallError}};
  classifyd_classify_options options{sizeof(options), top_k, min_score};
  classifyd_status status = CLASSIFYD_UNKNOWN;
  try {
    status = library_->api().classify_batch(instance_, documents.data(),
                                            documents.size(), &options, &sink);
  } catch (...) {
    state.call_error = "the plugin let an exception escape";
    state.call_error_problem.clear();
    status = CLASSIFYD_INTERNAL;
  }
  if (status != CLASSIFYD_OK) FailCall(*this, status, state, outcomes);
}

void Classifier::ClassifyIsolated(
    std::span<const std::string_view> texts, uint32_t top_k, float min_score,
    std::vector<DocumentOutcome>* outcomes) const {
  outcomes->assign(texts.size(), DocumentOutcome{});
  isolation::IsolatedAnswer answer;
  isolated_->Classify(texts, top_k, min_score, &answer);
  for (size_t i = 0; i < texts.size(); ++i) {
    const absl::Status& refused = answer.refused[i];
    if (refused.ok()) continue;
    (*outcomes)[i].code = FromAbslCode(refused.code());
    (*outcomes)[i].message = std::string(refused.message());
  }
  if (answer.sent.empty()) return;
  std::vector<DocumentOutcome> sent(answer.sent.size());
  SinkState state = NewSinkState(this, top_k, &sent);
  const classifyd_status status = Replay(answer.reply, &state);
  if (status != CLASSIFYD_OK) FailCall(*this, status, state, &sent);
  for (size_t j = 0; j < sent.size(); ++j) {
    (*outcomes)[answer.sent[j]] = std::move(sent[j]);
  }
}

void Classifier::ReportBrokenResult(const std::string& message) const {
  // Once at warning level: a broken plugin may break every document.
  if (!broken_result_reported_.exchange(true)) {
    spdlog::warn(
        "{} (generation {}); further broken results of this "
        "classifier are logged at debug level",
        message, generation_);
  } else {
    spdlog::debug("{} (generation {})", message, generation_);
  }
}

}  // namespace classifyd
