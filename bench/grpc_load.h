// Load generators that drive a running classifyd over gRPC with the callback
// client API: unary calls at a fixed concurrency, bidi streams with a bounded
// number of documents in flight each, and ClassifyBatch calls.
#ifndef CLASSIFYD_BENCH_GRPC_LOAD_H_
#define CLASSIFYD_BENCH_GRPC_LOAD_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "bench_common.h"

namespace classifyd::bench {

struct LoadOptions {
  std::string addr;                // HOST:PORT of the daemon.
  std::string input;               // Input name, for the report.
  const std::vector<std::string>* docs = nullptr;
  std::string classifier;          // ClassifyRequest.plugins; empty: all.
  int channels = 1;                // Separate TCP connections.
  int concurrency = 1;             // unary/batch: calls in flight.
  int streams = 1;                 // stream: concurrent streams.
  int window = 256;                // stream: documents in flight per stream,
  size_t window_bytes = 1 << 20;   // and at most this many bytes of them.
  int batch = 64;                  // batch: documents per call.
  int batch_concurrency = 2;       // batch: calls in flight (CLI default).
  bool coalesce_writes = false;    // stream: buffer hint on client writes.
  double warmup_seconds = 0.5;     // A discarded run of this length first.
  double duration_seconds = 3;     // How long new work is issued; the run
                                   // ends when all of it is answered.
  pid_t server_pid = 0;            // 0: server CPU not measured.
};

// Documents a stream keeps in flight: `window`, lowered so that they hold
// at most `window_bytes` (at least 1).
size_t EffectiveWindow(const LoadOptions& options);

Result RunUnary(const LoadOptions& options);
Result RunStream(const LoadOptions& options);
Result RunBatch(const LoadOptions& options);

// Polls ListPlugins until `classifier` (or, if empty, any classifier) is
// READY. Returns an empty string when ready, else why not (after
// `timeout_seconds`). On success `*description` lists the classifiers.
std::string WaitReady(const std::string& addr, const std::string& classifier,
                      double timeout_seconds, std::string* description);

}  // namespace classifyd::bench

#endif  // CLASSIFYD_BENCH_GRPC_LOAD_H_
