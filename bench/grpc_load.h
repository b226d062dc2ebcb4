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
  int window = 256;                // stream: documents in flight per stream.
  int batch = 64;                  // batch: documents per call.
  bool coalesce_writes = false;    // stream: buffer hint on client writes.
  double warmup_seconds = 0.5;     // Load before the measured window.
  double duration_seconds = 3;     // Length of the measured window.
  pid_t server_pid = 0;            // 0: server CPU not measured.
};

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
