// The part of every Classify RPC that is not transport: validate documents,
// detect their language, pick the classifiers that cover it, run them in
// batches, merge their labels into responses. Unary, batch and streaming
// calls all go through Run().
//
// Thread-safe: Run() and SetLimits() may be called concurrently; each call works on one
// registry snapshot, held until it returns.
#ifndef CLASSIFYD_DAEMON_SERVICE_CLASSIFY_ENGINE_H_
#define CLASSIFYD_DAEMON_SERVICE_CLASSIFY_ENGINE_H_

#include <memory>
#include <mutex>
#include <span>

#include "classifyd/v1/classifier.pb.h"
#include "metrics/metrics.h"
#include "registry/classifier_registry.h"
#include "service/limits.h"

namespace classifyd {

class ClassifyEngine {
 public:
  // `registry` and `metrics` (null: no metrics) must outlive the engine.
  ClassifyEngine(const ClassifierRegistry* registry, ServiceLimits limits,
                 Metrics* metrics = nullptr);

  // Answers requests[i] in *responses[i] (overwritten). Never fails as a
  // whole: each document's problem goes into its response's `error`.
  // REQUIRES: requests.size() == responses.size().
  void Run(std::span<const v1::ClassifyRequest* const> requests,
           std::span<v1::ClassifyResponse* const> responses) const;

  // The limits for calls starting now. SetLimits() (SIGHUP) swaps them for
  // later calls; a call keeps the ones it started with.
  std::shared_ptr<const ServiceLimits> limits() const;
  void SetLimits(const ServiceLimits& limits);
  Metrics* metrics() const { return metrics_; }

 private:
  const ClassifierRegistry* registry_;
  mutable std::mutex mu_;
  std::shared_ptr<const ServiceLimits> limits_;  // Guarded by mu_.
  Metrics* const metrics_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_CLASSIFY_ENGINE_H_
