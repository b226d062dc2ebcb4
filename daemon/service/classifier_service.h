// The classifyd.v1.Classifier gRPC service (callback API).
//
// Handlers run on gRPC's callback threads and never call a plugin: they
// hand the documents to the engine, which runs the plugin calls on the
// invoker's workers and finishes the call from there. So a plugin that
// hangs holds no gRPC thread, and health, ListPlugins and the other
// classifiers keep answering. Thread-safe.
#ifndef CLASSIFYD_DAEMON_SERVICE_CLASSIFIER_SERVICE_H_
#define CLASSIFYD_DAEMON_SERVICE_CLASSIFIER_SERVICE_H_

#include "classifyd/v1/classifier.grpc.pb.h"
#include "metrics/metrics.h"
#include "registry/classifier_registry.h"
#include "service/arena_messages.h"
#include "service/call_tracker.h"
#include "service/classify_engine.h"

namespace classifyd {

class ClassifierService final : public v1::Classifier::CallbackService {
 public:
  // `registry`, `invoker` and `metrics` (null: no metrics) must outlive
  // the service.
  ClassifierService(const ClassifierRegistry* registry, Invoker* invoker,
                    ServiceLimits limits, Metrics* metrics = nullptr);

  // The engine every call goes through; the HTTP API shares it, and with
  // it the limits SetLimits() changes.
  const ClassifyEngine* engine() const { return &engine_; }

  // Applies new limits to calls that start from now on (SIGHUP).
  void SetLimits(const ServiceLimits& limits);

  // Shutdown, first step: from now on new streaming calls are refused
  // with UNAVAILABLE (unary calls are still served).
  void StartDraining() { streams_.StartDraining(); }
  // Then waits until the streams in flight have ended or `deadline`
  // passes; the streams still in flight. See service/call_tracker.h.
  int WaitForStreams(std::chrono::steady_clock::time_point deadline) {
    return streams_.WaitUntilIdle(deadline);
  }
  // This service's calls of every kind that have not yet ended (their
  // reactor's OnDone has not run): when it reads 0 once the server shuts
  // down, the connections left carry no call of ours.
  int CallsInFlight() const {
    return streams_.in_flight() + unary_calls_.in_flight();
  }

  grpc::ServerUnaryReactor* Classify(grpc::CallbackServerContext* context,
                                     const v1::ClassifyRequest* request,
                                     v1::ClassifyResponse* response) override;
  grpc::ServerBidiReactor<v1::ClassifyRequest, v1::ClassifyResponse>*
  ClassifyStream(grpc::CallbackServerContext* context) override;
  grpc::ServerBidiReactor<v1::ClassifyBatchRequest, v1::ClassifyBatchResponse>*
  ClassifyBatchStream(grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* ClassifyBatch(
      grpc::CallbackServerContext* context,
      const v1::ClassifyBatchRequest* request,
      v1::ClassifyBatchResponse* response) override;
  grpc::ServerUnaryReactor* ListPlugins(
      grpc::CallbackServerContext* context,
      const v1::ListPluginsRequest* request,
      v1::ListPluginsResponse* response) override;

 private:
  // A reactor for one unary call, counted in unary_calls_ until it is done.
  grpc::ServerUnaryReactor* NewUnaryReactor();

  const ClassifierRegistry* registry_;
  Metrics* const metrics_;
  ClassifyEngine engine_;
  CallTracker streams_;
  // Never draining: unary calls are served to the end.
  CallTracker unary_calls_;
  // Not for Classify: one document's messages are a handful of small
  // allocations, and an arena was no cheaper (callgrind, instructions per
  // call).
  ArenaMessageAllocator<v1::ClassifyBatchRequest, v1::ClassifyBatchResponse>
      batch_messages_{16 * 1024};
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_CLASSIFIER_SERVICE_H_
