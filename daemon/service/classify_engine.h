// The part of every Classify RPC that is not transport: validate documents,
// detect their language, pick the classifiers that cover it, run them in
// batches, merge their labels into responses. Unary, batch and streaming
// calls all go through RunAsync(); Run() is its blocking form for callers
// that own their thread (never a gRPC one).
//
// The plugin calls run on the invoker's workers (invoker/invoker.h), one
// call per classifier and batch of documents, never per document; the
// calling thread only validates, detects languages and hands off. The
// labels are merged on the worker that finishes last, which then calls
// `done`.
//
// Thread-safe: RunAsync(), Run() and SetLimits() may be called
// concurrently; each call works on one registry snapshot, held until its
// `done` has run.
#ifndef CLASSIFYD_DAEMON_SERVICE_CLASSIFY_ENGINE_H_
#define CLASSIFYD_DAEMON_SERVICE_CLASSIFY_ENGINE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <span>

#include "classifyd/v1/classifier.pb.h"
#include "invoker/invoker.h"
#include "metrics/metrics.h"
#include "registry/classifier_registry.h"
#include "service/limits.h"

namespace classifyd {

class ClassifyEngine {
 public:
  // `registry`, `invoker` and `metrics` (null: no metrics) must outlive
  // the engine and every call's `done`.
  ClassifyEngine(const ClassifierRegistry* registry, Invoker* invoker,
                 ServiceLimits limits, Metrics* metrics = nullptr);

  // Answers requests[i] in *responses[i] (overwritten), then calls `done`
  // once: on an invoker thread, or on this one before returning when no
  // plugin call is needed. Never fails as a whole: each document's problem
  // goes into its response's `error`. `done` must not block.
  // REQUIRES: requests.size() == responses.size(); every request and
  // response stays valid until `done` runs (the spans themselves need not).
  void RunAsync(std::span<const v1::ClassifyRequest* const> requests,
                std::span<v1::ClassifyResponse* const> responses,
                std::function<void()> done) const;

  // RunAsync() that waits for the answers. REQUIRES: not on a gRPC thread.
  void Run(std::span<const v1::ClassifyRequest* const> requests,
           std::span<v1::ClassifyResponse* const> responses) const;

  // The limits for calls starting now. SetLimits() (SIGHUP) swaps them for
  // later calls; a call keeps the ones it started with.
  std::shared_ptr<const ServiceLimits> limits() const;
  void SetLimits(const ServiceLimits& limits);
  Metrics* metrics() const { return metrics_; }

 private:
  const ClassifierRegistry* registry_;
  Invoker* const invoker_;
  mutable std::mutex mu_;
  std::shared_ptr<const ServiceLimits> limits_;  // Guarded by mu_.
  Metrics* const metrics_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_CLASSIFY_ENGINE_H_
