// The part of every Classify RPC that is not transport: validate documents,
// pick classifiers, run them in batches, merge their labels into responses.
// Unary, batch and streaming calls all go through Run().
//
// Thread-safe: Run() may be called concurrently; each call works on one
// registry snapshot, held until it returns.
#ifndef CLASSIFYD_DAEMON_SERVICE_CLASSIFY_ENGINE_H_
#define CLASSIFYD_DAEMON_SERVICE_CLASSIFY_ENGINE_H_

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

  const ServiceLimits& limits() const { return limits_; }
  Metrics* metrics() const { return metrics_; }

 private:
  const ClassifierRegistry* registry_;
  ServiceLimits limits_;
  Metrics* const metrics_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_CLASSIFY_ENGINE_H_
