// The rules every result a plugin hands the host must obey before it may
// reach a response: labels, scores, evidence and error messages.
//
// A plugin runs in the daemon's process and its results go straight into
// protobuf messages. A label or message that is not UTF-8 makes the whole
// response unserialisable (a unary call fails INTERNAL, a stream dies and
// loses its other documents), and unbounded evidence makes a response
// larger than gRPC will send. So the host checks each result at the sink,
// before copying it, and a result that breaks a rule fails only that
// document's part from that classifier (INTERNAL, with a message saying
// which rule); the checks never read more than the limits allow, however
// much a plugin passes.
//
// The limits are far above what the bundled classifiers produce (labels of
// a few bytes, top_k <= 100 labels, the lexicon's max_evidence <= 100
// matched terms of a few bytes each) and keep one document's results from
// one classifier under about 100 KiB:
//  - label names: UTF-8, 1..kMaxLabelBytes bytes, one of the labels the
//    instance declared through list_labels() (plugin.h: it "reports every
//    label the instance can emit"). Label names also become metric labels
//    (classifyd_labels_total), so an undeclared name is also unbounded
//    metric cardinality.
//  - at most kMaxLabelsPerDocument labels per document;
//  - scores finite and in [0, 1];
//  - per label at most kMaxEvidencePerLabel evidence strings, each UTF-8
//    and at most kMaxEvidenceBytes; per document at most
//    kMaxEvidenceBytesPerDocument of evidence over all its labels;
//  - error messages UTF-8; longer than kMaxMessageBytes they are cut (a
//    message is the plugin's explanation of an error it reports, so a long
//    one is shortened rather than turned into another error);
//  - status codes those of gRPC (1..16).
//
// Thread-safe: pure functions, and DeclaredLabels is immutable once built.
#ifndef CLASSIFYD_DAEMON_PLUGIN_RESULT_CHECK_H_
#define CLASSIFYD_DAEMON_PLUGIN_RESULT_CHECK_H_

#include <classifyd/plugin.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace classifyd {

inline constexpr size_t kMaxLabelBytes = 64;
inline constexpr size_t kMaxDeclaredLabels = 4096;
inline constexpr size_t kMaxLabelsPerDocument = 256;
inline constexpr size_t kMaxEvidencePerLabel = 128;
inline constexpr size_t kMaxEvidenceBytes = 1024;
inline constexpr size_t kMaxEvidenceBytesPerDocument = 64 * 1024;
inline constexpr size_t kMaxMessageBytes = 1024;

// Empty if `text` is well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF), else where it is not, e.g. "bad byte
// sequence at offset 3".
std::string Utf8Problem(std::string_view text);

// The labels one classifier instance declared through list_labels().
class DeclaredLabels {
 public:
  // Adds `label` (data may be null when size is 0). Returns what is wrong
  // with it, e.g. "a label that is not valid UTF-8 (...)", or empty when it
  // was added (or was already there).
  std::string Add(const char* data, size_t size);

  bool Contains(std::string_view label) const { return Find(label) != nullptr; }
  // The declared copy of `label`, or null if it was not declared. Valid
  // until the next Add() (a classifier declares all its labels before it
  // serves, so for the classifier's life).
  const std::string* Find(std::string_view label) const;
  // Every label once, in the order they were declared.
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
  std::vector<std::string> sorted_;  // For Contains().
};

// What one document has been given so far in one classify_batch() call.
struct DocumentTally {
  size_t labels = 0;
  size_t evidence_bytes = 0;
};

// Checks one add_label() call for a document (arguments as the sink got
// them). Returns empty when the label may be kept, and then counts it in
// `tally` and points *declared_name at the declared copy of its name; else
// what is wrong, phrased to follow "classifier 'x' returned", e.g. "a score
// of 7 for label 'ok' (scores must be in [0, 1])".
std::string CheckLabel(const char* label, size_t label_size, float score,
                       const classifyd_string* evidence, size_t evidence_count,
                       const DeclaredLabels& declared, DocumentTally* tally,
                       std::string_view* declared_name);

// A plugin's error message, made fit for a response.
struct PluginMessage {
  // At most kMaxMessageBytes of the message (cut at a character boundary,
  // then noted as cut), when `problem` is empty.
  std::string text;
  // Why the message cannot be used, phrased like CheckLabel's result:
  // "an error message that is not valid UTF-8 (...)". Empty if it can.
  std::string problem;
};
// `data` may be null when size is 0. Reads at most kMaxMessageBytes of it.
PluginMessage CheckMessage(const char* data, size_t size);

// Empty if `code` is a gRPC status code other than OK, else what is wrong,
// e.g. "status code 99, which is not a gRPC status code".
std::string StatusProblem(int code);

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_PLUGIN_RESULT_CHECK_H_
