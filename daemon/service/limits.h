// Request limits and defaults of the Classifier service.
#ifndef CLASSIFYD_DAEMON_SERVICE_LIMITS_H_
#define CLASSIFYD_DAEMON_SERVICE_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace classifyd {

struct ServiceLimits {
  // Largest accepted document text, in bytes.
  size_t max_document_bytes = 1 << 20;
  // Most documents in one ClassifyBatch call.
  size_t max_batch_documents = 10'000;
  // Largest accepted request id, in bytes.
  size_t max_id_bytes = 1024;
  // Labels returned when a request leaves top_k at 0.
  uint32_t default_top_k = 5;
  // Largest top_k a request may ask for.
  uint32_t max_top_k = 100;
  // min_score used when a request does not set it. Scores are calibrated
  // probabilities; at 0.2 the bundled classifiers return the label sets
  // closest to the hand-labelled ones (models/EVALUATION.md, "Choosing
  // min_score") while nearly every top label still clears it.
  float default_min_score = 0.2f;
  // Most documents of one stream that are read but not yet answered; the
  // server stops reading (and gRPC flow control slows the client) beyond it.
  size_t stream_window = 512;
  // Most bytes of requests (their encoded size) of one stream that are read
  // but not yet classified; reads stop beyond it as beyond stream_window.
  // With large documents the document count alone would let one stream
  // hold stream_window times max_document_bytes (512 MiB by default). At
  // least one document is always admitted, however large.
  size_t stream_window_bytes = 16 << 20;
  // Classify and ClassifyBatch calls that set no deadline fail with
  // DEADLINE_EXCEEDED when classifying takes longer; 0: no default.
  // Streams are long-lived and get none.
  uint32_t default_deadline_ms = 30'000;
  // Most documents passed to a plugin in one classify_batch() call.
  size_t max_plugin_batch = 128;
  // How long a request waits for one classify_batch() call of a classifier
  // whose manifest sets no timeout_ms; past it the call is stuck (see
  // invoker/invoker.h). 0: waits as long as it takes.
  int plugin_timeout_ms = 10'000;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_LIMITS_H_
