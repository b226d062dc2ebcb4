// The per-document options every classifying command takes (--plugin,
// --top-k, --min-score, --language), defined once so `classify`, `stream` and
// `eval` spell and document them the same way.
#ifndef CLASSIFYD_CLIENTS_CLASSIFYCTL_REQUEST_OPTIONS_H_
#define CLASSIFYD_CLIENTS_CLASSIFYCTL_REQUEST_OPTIONS_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "classifyd/v1/classifier.pb.h"

namespace classifyctl {

struct RequestOptions {
  std::vector<std::string> plugins;
  uint32_t top_k = 0;    // 0: the server's default.
  float min_score = -1;  // Negative: the server's default.
  std::string language;  // Empty: the server detects it.
};

// Adds --plugin (repeatable, or comma-separated), --top-k, --min-score and
// --language.
// `what` ends each help text, e.g. " (for lines that set none)".
void AddRequestOptions(CLI::App* command, RequestOptions* options,
                       const std::string& what = "");

// Sets in `request` whatever it leaves unset: no plugins, top_k 0, no
// min_score, no language.
void ApplyRequestOptions(const RequestOptions& options,
                         classifyd::v1::ClassifyRequest* request);

}  // namespace classifyctl

#endif  // CLASSIFYD_CLIENTS_CLASSIFYCTL_REQUEST_OPTIONS_H_
