#include "isolation/plugin_host.h"

#include <dlfcn.h>

#include <mutex>

#include "isolation/frame_io.h"
#include "plugin/plugin_library.h"

namespace classifyd::isolation {
namespace {

// What the sinks of one classify_batch() call record.
struct Recorder {
  ClassifyReply* reply;
  size_t documents;
  size_t bytes = 0;
};

// Counts `more` bytes; false (and marks the reply) once over the limit.
bool Fits(Recorder* r, size_t more) {
  r->bytes += more;
  if (r->bytes <= kMaxRecordedBytes) return true;
  r->reply->set_results_too_large(true);
  return false;
}

classifyd_status AddLabel(void* context, size_t index, const char* label,
                          size_t label_size, float score,
                          const classifyd_string* evidence,
                          size_t evidence_count) {
  auto* r = static_cast<Recorder*>(context);
  if (index >= r->documents) return CLASSIFYD_OUT_OF_RANGE;
  if (!Fits(r, label_size + 16)) return CLASSIFYD_RESOURCE_EXHAUSTED;
  auto* add = r->reply->add_calls()->mutable_add_label();
  add->set_document(index);
  if (label != nullptr) add->set_label(label, label_size);
  add->set_score(score);
  for (size_t i = 0; i < evidence_count; ++i) {
    const classifyd_string& e = evidence[i];
    if (!Fits(r, e.size + 4)) return CLASSIFYD_RESOURCE_EXHAUSTED;
    add->add_evidence(e.data != nullptr ? std::string(e.data, e.size) : "");
  }
  return CLASSIFYD_OK;
}

void SetDocumentError(void* context, size_t index, classifyd_status code,
                      const char* message, size_t size) {
  auto* r = static_cast<Recorder*>(context);
  if (index >= r->documents || !Fits(r, size + 16)) return;
  auto* error = r->reply->add_calls()->mutable_document_error();
  error->set_document(index);
  error->set_code(code);
  if (message != nullptr) error->set_message(message, size);
}

void SetCallError(void* context, const char* message, size_t size) {
  auto* r = static_cast<Recorder*>(context);
  if (!Fits(r, size + 4)) return;
  r->reply->add_calls()->set_call_error(
      message != nullptr ? std::string(message, size) : "");
}

void AddListedLabel(void* context, const char* label, size_t size) {
  auto* ready = static_cast<Ready*>(context);
  // Bounded like the daemon's check (result_check.h) so a plugin cannot
  // make the Ready frame too large; the daemon checks each label.
  if (ready->labels_size() > 4096 || size > 1024) return;
  ready->add_labels(label != nullptr ? std::string(label, size) : "");
}

void CopyError(void* context, const char* message, size_t size) {
  auto* out = static_cast<std::string*>(context);
  if (message != nullptr) out->assign(message, std::min<size_t>(size, 4096));
}

std::mutex send_mu;  // One frame at a time on the socket.

}  // namespace

PluginHost::~PluginHost() {
  if (instance_ != nullptr) api_->destroy(instance_);
  // The library stays loaded: the process is about to exit.
}

void PluginHost::Log(void* context, classifyd_log_level level,
                     const char* message, size_t size) {
  const int socket = *static_cast<const int*>(context);
  ChildMessage line;
  line.mutable_log()->set_level(level);
  if (message != nullptr) {
    line.mutable_log()->set_text(message, std::min<size_t>(size, 4096));
  }
  std::lock_guard lock(send_mu);
  (void)WriteFrame(socket, line, std::nullopt);
}

bool PluginHost::Send(const ChildMessage& message) const {
  std::lock_guard lock(send_mu);
  return WriteFrame(socket_, message, std::nullopt).ok();
}

absl::Status PluginHost::LoadLibrary(int library_fd, const Init& init) {
  const std::string path = "/proc/self/fd/" + std::to_string(library_fd);
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle_ == nullptr) {
    const char* why = dlerror();
    return absl::FailedPreconditionError(
        "cannot load plugin library '" + init.library_path() +
        "': " + (why != nullptr ? why : "unknown dlopen error"));
  }
  void* symbol = dlsym(handle_, CLASSIFYD_PLUGIN_ENTRY_SYMBOL);
  if (symbol == nullptr) {
    return absl::FailedPreconditionError(
        "'" + init.library_path() + "' is not a classifyd plugin: it does " +
        "not export '" + CLASSIFYD_PLUGIN_ENTRY_SYMBOL + "'");
  }
  try {
    api_ = reinterpret_cast<classifyd_plugin_entry_fn>(symbol)(
        CLASSIFYD_ABI_MAJOR, CLASSIFYD_ABI_MINOR);
  } catch (...) {
    return absl::FailedPreconditionError("plugin '" + init.library_path() +
                                         "' threw from its entry point");
  }
  return CheckPluginApi(api_, init.library_path());
}

absl::Status PluginHost::CreateInstance(const Init& init, Ready* ready) {
  host_api_ = {sizeof(host_api_), CLASSIFYD_ABI_MAJOR, CLASSIFYD_ABI_MINOR,
               &socket_, &PluginHost::Log};
  std::vector<classifyd_option> options;
  for (const Option& o : init.options()) {
    options.push_back({{o.key().data(), o.key().size()},
                       {o.value().data(), o.value().size()}});
  }
  classifyd_instance_config config{};
  config.struct_size = sizeof(config);
  config.name = init.name().c_str();
  config.model_path =
      init.model_path().empty() ? nullptr : init.model_path().c_str();
  config.options = options.data();
  config.option_count = options.size();
  config.host = &host_api_;
  std::string error;
  classifyd_error_sink sink{&error, &CopyError};
  classifyd_status status = CLASSIFYD_UNKNOWN;
  try {
    status = api_->create(&config, &sink, &instance_);
  } catch (...) {
    return absl::FailedPreconditionError("plugin '" + std::string(api_->name) +
                                         "' let an exception escape from "
                                         "create()");
  }
  if (status != CLASSIFYD_OK || instance_ == nullptr) {
    instance_ = nullptr;
    return absl::FailedPreconditionError(
        "plugin '" + std::string(api_->name) +
        "' could not create classifier '" + init.name() + "': " +
        (error.empty() ? "no reason given (status " +
                             std::to_string(static_cast<int>(status)) + ")"
                       : error));
  }
  std::string list_error;
  classifyd_label_sink labels{
      ready, &AddListedLabel, {&list_error, &CopyError}};
  try {
    status = api_->list_labels(instance_, &labels);
  } catch (...) {
    status = CLASSIFYD_INTERNAL;
  }
  if (status != CLASSIFYD_OK) {
    return absl::FailedPreconditionError(
        "classifier '" + init.name() + "' could not list its labels" +
        (list_error.empty() ? "" : ": " + list_error));
  }
  ready->set_capabilities(api_->capabilities);
  ready->set_plugin_name(api_->name);
  ready->set_plugin_version(api_->version);
  ready->set_abi_major(api_->abi_major);
  ready->set_abi_minor(api_->abi_minor);
  return absl::OkStatus();
}

void PluginHost::Classify(const ClassifyRequest& request,
                          ClassifyReply* reply) {
  std::vector<classifyd_document> documents;
  documents.reserve(request.texts_size());
  for (const std::string& t : request.texts()) {
    documents.push_back({{t.data(), t.size()}});
  }
  Recorder recorder{reply, documents.size()};
  classifyd_result_sink sink{
      &recorder, &AddLabel, &SetDocumentError, {&recorder, &SetCallError}};
  classifyd_classify_options options{sizeof(options), request.top_k(),
                                     request.min_score()};
  try {
    reply->set_status(api_->classify_batch(instance_, documents.data(),
                                           documents.size(), &options, &sink));
  } catch (...) {
    reply->set_threw(true);
    reply->set_status(CLASSIFYD_INTERNAL);
  }
}

}  // namespace classifyd::isolation
