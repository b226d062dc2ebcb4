// Load generators that drive a running classifyd's HTTP/JSON API
// (--http-listen) with blocking cpp-httplib clients, one thread and one
// keep-alive connection per call in flight: POST /v1/classify at a fixed
// concurrency, and POST /v1/classify:batch. They measure what the gRPC
// ones do (grpc_load.h), so the price of JSON over HTTP/1.1 shows beside
// gRPC's in one report.
#ifndef CLASSIFYD_BENCH_HTTP_LOAD_H_
#define CLASSIFYD_BENCH_HTTP_LOAD_H_

#include "bench_common.h"
#include "grpc_load.h"

namespace classifyd::bench {

// `options.addr` is the HTTP listener's HOST:PORT. Scenario names
// "http-unary-c<N>" and "http-batch-<B>".
Result RunHttpUnary(const LoadOptions& options);
Result RunHttpBatch(const LoadOptions& options);

}  // namespace classifyd::bench

#endif  // CLASSIFYD_BENCH_HTTP_LOAD_H_
