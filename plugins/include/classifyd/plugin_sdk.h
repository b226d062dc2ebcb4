// classifyd C++ plugin SDK: write a classifier as a small C++ class.
//
// Header-only. It turns a class into the C table of plugin.h and puts an
// exception barrier on every entry point, so nothing C++ crosses the ABI.
//
//   class Echo final : public classifyd::sdk::Classifier {
//    public:
//     explicit Echo(const classifyd::sdk::InstanceConfig& config) { ... }
//     std::vector<std::string> Labels() const override { return {"echo"}; }
//     void ClassifyBatch(std::span<const std::string_view> texts,
//                        const classifyd::sdk::ClassifyOptions& options,
//                        classifyd::sdk::ResultWriter& out) override {
//       for (size_t i = 0; i < texts.size(); ++i) out.AddLabel(i, "echo", 1);
//     }
//   };
//   CLASSIFYD_PLUGIN(Echo, "echo", "1.0.0", 0)
//
// The constructor reports failure by throwing (classifyd::sdk::Error carries
// a status code; any other exception becomes INTERNAL). ClassifyBatch must be
// thread-safe: the host calls it concurrently on one instance.
#ifndef CLASSIFYD_PLUGIN_SDK_H_
#define CLASSIFYD_PLUGIN_SDK_H_

#include <classifyd/plugin.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace classifyd::sdk {

// An error with a status code, thrown by plugin code and turned into a
// status + message at the ABI boundary.
class Error : public std::runtime_error {
 public:
  Error(classifyd_status code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  classifyd_status code() const { return code_; }

 private:
  classifyd_status code_;
};

// The manifest settings of one instance, copied out of the C struct.
class InstanceConfig {
 public:
  explicit InstanceConfig(const classifyd_instance_config& c)
      : name_(c.name != nullptr ? c.name : ""),
        host_(c.host) {
    if (c.model_path != nullptr) model_path_ = c.model_path;
    for (size_t i = 0; i < c.option_count; ++i) {
      options_.emplace(
          std::string(c.options[i].key.data, c.options[i].key.size),
          std::string(c.options[i].value.data, c.options[i].value.size));
    }
  }

  const std::string& name() const { return name_; }
  // The `model` file named by the manifest; empty when there is none.
  const std::string& model_path() const { return model_path_; }
  const std::map<std::string, std::string>& options() const {
    return options_;
  }

  // The option's value, or `fallback` when the manifest does not set it.
  std::string GetString(const std::string& key,
                        const std::string& fallback) const {
    auto it = options_.find(key);
    return it == options_.end() ? fallback : it->second;
  }
  // Numeric option; throws Error(INVALID_ARGUMENT) if it is not a number.
  double GetDouble(const std::string& key, double fallback) const {
    auto it = options_.find(key);
    if (it == options_.end()) return fallback;
    try {
      size_t used = 0;
      double value = std::stod(it->second, &used);
      if (used == it->second.size()) return value;
    } catch (const std::exception&) {
    }
    throw Error(CLASSIFYD_INVALID_ARGUMENT,
                "option '" + key + "' must be a number, got '" + it->second +
                    "'");
  }

  // Whole-number option in [min, max], or `fallback` when the manifest does
  // not set it; throws Error(INVALID_ARGUMENT) otherwise.
  int64_t GetInteger(const std::string& key, int64_t fallback, int64_t min,
                     int64_t max) const {
    const double value = GetDouble(key, static_cast<double>(fallback));
    if (value < static_cast<double>(min) || value > static_cast<double>(max) ||
        value != std::floor(value)) {
      throw Error(CLASSIFYD_INVALID_ARGUMENT,
                  "option '" + key + "' must be an integer in [" +
                      std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    return static_cast<int64_t>(value);
  }

  // Logs through the host, attributed to this instance.
  void Log(classifyd_log_level level, std::string_view message) const {
    if (host_ != nullptr && host_->log != nullptr) {
      host_->log(host_->host_context, level, message.data(), message.size());
    }
  }
  const classifyd_host_api* host() const { return host_; }

 private:
  std::string name_;
  std::string model_path_;
  std::map<std::string, std::string> options_;
  const classifyd_host_api* host_;
};

// Per-call knobs; see classifyd_classify_options.
struct ClassifyOptions {
  uint32_t top_k = 0;
  float min_score = 0.0f;
};

// Writes results of one ClassifyBatch call into the host's sink.
class ResultWriter {
 public:
  explicit ResultWriter(const classifyd_result_sink& sink) : sink_(sink) {}

  void AddLabel(size_t document_index, std::string_view label, float score,
                std::span<const std::string_view> evidence = {}) {
    std::vector<classifyd_string> ev;
    ev.reserve(evidence.size());
    for (std::string_view e : evidence) ev.push_back({e.data(), e.size()});
    sink_.add_label(sink_.context, document_index, label.data(), label.size(),
                    score, ev.empty() ? nullptr : ev.data(), ev.size());
  }
  void SetDocumentError(size_t document_index, classifyd_status code,
                        std::string_view message) {
    sink_.set_document_error(sink_.context, document_index, code,
                             message.data(), message.size());
  }

 private:
  const classifyd_result_sink& sink_;
};

// Base class of a classifier instance.
class Classifier {
 public:
  virtual ~Classifier() = default;
  // Every label this instance can emit.
  virtual std::vector<std::string> Labels() const = 0;
  // Thread-safe. `texts` are valid UTF-8 and not empty.
  virtual void ClassifyBatch(std::span<const std::string_view> texts,
                             const ClassifyOptions& options,
                             ResultWriter& out) = 0;
};

namespace internal {

inline void ReportError(const classifyd_error_sink* sink,
                        std::string_view message) {
  if (sink != nullptr && sink->set_error != nullptr) {
    sink->set_error(sink->context, message.data(), message.size());
  }
}

// Runs `body` and converts any exception into a status and a message.
template <typename Body>
classifyd_status Guard(const classifyd_error_sink* sink, Body&& body) noexcept {
  try {
    body();
    return CLASSIFYD_OK;
  } catch (const Error& e) {
    ReportError(sink, e.what());
    return e.code() == CLASSIFYD_OK ? CLASSIFYD_UNKNOWN : e.code();
  } catch (const std::bad_alloc&) {
    ReportError(sink, "out of memory");
    return CLASSIFYD_RESOURCE_EXHAUSTED;
  } catch (const std::exception& e) {
    ReportError(sink, e.what());
    return CLASSIFYD_INTERNAL;
  } catch (...) {
    ReportError(sink, "unknown exception in plugin");
    return CLASSIFYD_INTERNAL;
  }
}

template <typename T>
classifyd_status Create(const classifyd_instance_config* config,
                        const classifyd_error_sink* error,
                        classifyd_instance** out) noexcept {
  return Guard(error, [&] {
    if (config == nullptr || out == nullptr) {
      throw Error(CLASSIFYD_INVALID_ARGUMENT, "null config or out pointer");
    }
    auto instance = std::make_unique<T>(InstanceConfig(*config));
    Classifier* base = instance.release();
    *out = reinterpret_cast<classifyd_instance*>(base);
  });
}

inline void Destroy(classifyd_instance* instance) noexcept {
  try {
    delete reinterpret_cast<Classifier*>(instance);
  } catch (...) {
    // A destructor that throws cannot be reported; swallow it so the
    // exception never unwinds into the host.
  }
}

inline classifyd_status ListLabels(classifyd_instance* instance,
                                   const classifyd_label_sink* sink) noexcept {
  return Guard(&sink->error, [&] {
    for (const std::string& label :
         reinterpret_cast<Classifier*>(instance)->Labels()) {
      sink->add(sink->context, label.data(), label.size());
    }
  });
}

inline classifyd_status ClassifyBatch(
    classifyd_instance* instance, const classifyd_document* documents,
    size_t document_count, const classifyd_classify_options* options,
    const classifyd_result_sink* sink) noexcept {
  return Guard(&sink->error, [&] {
    std::vector<std::string_view> texts;
    texts.reserve(document_count);
    for (size_t i = 0; i < document_count; ++i) {
      texts.emplace_back(documents[i].text.data, documents[i].text.size);
    }
    ClassifyOptions opts;
    if (options != nullptr) {
      opts.top_k = options->top_k;
      opts.min_score = options->min_score;
    }
    ResultWriter writer(*sink);
    reinterpret_cast<Classifier*>(instance)->ClassifyBatch(texts, opts,
                                                           writer);
  });
}

}  // namespace internal
}  // namespace classifyd::sdk

// Defines the plugin's entry point for classifier class `Type`, which must
// derive from classifyd::sdk::Classifier and be constructible from a
// `const classifyd::sdk::InstanceConfig&`.
#define CLASSIFYD_PLUGIN(Type, kName, kVersion, kCapabilities)               \
  extern "C" CLASSIFYD_EXPORT const classifyd_plugin_api*                    \
  classifyd_plugin_entry(uint16_t host_abi_major, uint16_t host_abi_minor) { \
    static const classifyd_plugin_api kApi = {                               \
        sizeof(classifyd_plugin_api),                                        \
        CLASSIFYD_ABI_MAJOR,                                                 \
        CLASSIFYD_ABI_MINOR,                                                 \
        kName,                                                               \
        kVersion,                                                            \
        kCapabilities,                                                       \
        &::classifyd::sdk::internal::Create<Type>,                           \
        &::classifyd::sdk::internal::Destroy,                                \
        &::classifyd::sdk::internal::ListLabels,                             \
        &::classifyd::sdk::internal::ClassifyBatch,                          \
    };                                                                       \
    /* The host checks the versions and explains a mismatch. */            \
    (void)host_abi_major;                                                    \
    (void)host_abi_minor;                                                    \
    return &kApi;                                                            \
  }

#endif  // CLASSIFYD_PLUGIN_SDK_H_
