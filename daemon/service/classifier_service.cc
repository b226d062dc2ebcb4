#include "service/classifier_service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "service/counted_unary_reactor.h"
#include "service/plugin_info.h"
#include "service/stream_reactor.h"

namespace classifyd {
namespace {

// A call without a client deadline that took longer than
// default_deadline_ms fails as if it had one. Plugins cannot be
// interrupted, so the check is made when classifying ends.
grpc::Status DefaultDeadlineStatus(const grpc::CallbackServerContext& context,
                                   const ServiceLimits& limits,
                                   std::chrono::steady_clock::time_point start) {
  if (limits.default_deadline_ms == 0 ||
      context.deadline() != std::chrono::system_clock::time_point::max()) {
    return grpc::Status::OK;
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (took.count() <= static_cast<int64_t>(limits.default_deadline_ms)) {
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                      "classifying took " + std::to_string(took.count()) +
                          " ms, over the default deadline of " +
                          std::to_string(limits.default_deadline_ms) +
                          " ms for calls that set none (default_deadline_ms)");
}

// Counts one unary call in `metrics` (if not null): in flight from
// construction until Finish().
class UnaryCallMetrics {
 public:
  UnaryCallMetrics(Metrics* metrics, Rpc rpc) : metrics_(metrics), rpc_(rpc) {
    if (metrics_ != nullptr) {
      metrics_->UnaryStarted(rpc_);
      started_ = std::chrono::steady_clock::now();
    }
  }
  // Counts the call and its documents' outcomes.
  void Finish(const grpc::Status& status,
              std::span<v1::ClassifyResponse* const> responses = {}) {
    if (metrics_ == nullptr) return;
    for (const v1::ClassifyResponse* r : responses) {
      metrics_->DocumentAnswered(rpc_, r->error().code());
    }
    metrics_->UnaryFinished(rpc_, status.error_code(),
                            std::chrono::duration<double>(
                                std::chrono::steady_clock::now() - started_)
                                .count());
  }

 private:
  Metrics* const metrics_;
  const Rpc rpc_;
  std::chrono::steady_clock::time_point started_;
};

grpc::Status Draining() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "classifyd is shutting down: no new streams; open it on "
                      "another instance");
}

// A stream refused at its start: finishes at once (the reactor API queues
// the Finish until the call is bound to the reactor).
template <typename Framing>
class RefusedStream final
    : public grpc::ServerBidiReactor<typename Framing::In,
                                     typename Framing::Out> {
 public:
  RefusedStream(const grpc::Status& status, Metrics* metrics)
      : metrics_(metrics) {
    if (metrics_ != nullptr) {
      metrics_->StreamOpened(Framing::kRpc);
      metrics_->StreamFinished(Framing::kRpc, status.error_code());
    }
    this->Finish(status);
  }
  void OnDone() override {
    if (metrics_ != nullptr) metrics_->StreamClosed();
    delete this;
  }

 private:
  Metrics* const metrics_;
};

}  // namespace

grpc::ServerUnaryReactor* ClassifierService::NewUnaryReactor() {
  return CountedUnaryReactor::Begin(&unary_calls_);
}

void ClassifierService::SetLimits(const ServiceLimits& limits) {
  engine_.SetLimits(limits);
}

ClassifierService::ClassifierService(const ClassifierRegistry* registry,
                                     Invoker* invoker, ServiceLimits limits,
                                     Metrics* metrics)
    : registry_(registry),
      metrics_(metrics),
      engine_(registry, invoker, limits, metrics) {
  SetMessageAllocatorFor_ClassifyBatch(&batch_messages_);
}

grpc::ServerUnaryReactor* ClassifierService::Classify(
    grpc::CallbackServerContext* context, const v1::ClassifyRequest* request,
    v1::ClassifyResponse* response) {
  auto* reactor = NewUnaryReactor();
  const v1::ClassifyRequest* requests[] = {request};
  v1::ClassifyResponse* responses[] = {response};
  engine_.RunAsync(
      requests, responses,
      [context, request, response, reactor, limits = engine_.limits(),
       call_metrics = UnaryCallMetrics(metrics_, Rpc::kClassify),
       start = std::chrono::steady_clock::now()]() mutable {
        grpc::Status status = DefaultDeadlineStatus(*context, *limits, start);
        if (status.ok() && response->error().code() != 0) {
          status = grpc::Status(
              static_cast<grpc::StatusCode>(response->error().code()),
              response->error().message());
        }
        SPDLOG_DEBUG("Classify id={} bytes={} labels={} code={}",
                     request->id(), request->text().size(),
                     response->labels_size(), response->error().code());
        v1::ClassifyResponse* answered[] = {response};
        call_metrics.Finish(status, answered);
        reactor->Finish(status);
      });
  return reactor;
}

grpc::ServerBidiReactor<v1::ClassifyRequest, v1::ClassifyResponse>*
ClassifierService::ClassifyStream(grpc::CallbackServerContext* context) {
  SPDLOG_DEBUG("ClassifyStream from {}", context->peer());
  if (!streams_.Begin()) {
    return new RefusedStream<SingleDocuments>(Draining(), metrics_);
  }
  return new ClassifyStreamReactor(&engine_, &streams_);
}

grpc::ServerBidiReactor<v1::ClassifyBatchRequest, v1::ClassifyBatchResponse>*
ClassifierService::ClassifyBatchStream(grpc::CallbackServerContext* context) {
  SPDLOG_DEBUG("ClassifyBatchStream from {}", context->peer());
  if (!streams_.Begin()) {
    return new RefusedStream<DocumentBatches>(Draining(), metrics_);
  }
  return new ClassifyBatchStreamReactor(&engine_, &streams_);
}

grpc::ServerUnaryReactor* ClassifierService::ClassifyBatch(
    grpc::CallbackServerContext* context,
    const v1::ClassifyBatchRequest* request,
    v1::ClassifyBatchResponse* response) {
  UnaryCallMetrics call_metrics(metrics_, Rpc::kClassifyBatch);
  const auto start = std::chrono::steady_clock::now();
  const auto limits = engine_.limits();
  auto* reactor = NewUnaryReactor();
  const size_t n = static_cast<size_t>(request->documents_size());
  if (n > limits->max_batch_documents) {
    grpc::Status status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "batch has " + std::to_string(n) + " documents, over the limit of " +
            std::to_string(limits->max_batch_documents) +
            " (max_batch_documents)");
    call_metrics.Finish(status);
    reactor->Finish(status);
    return reactor;
  }
  std::vector<const v1::ClassifyRequest*> requests;
  std::vector<v1::ClassifyResponse*> responses;
  requests.reserve(n);
  responses.reserve(n);
  response->mutable_results()->Reserve(static_cast<int>(n));
  for (const v1::ClassifyRequest& r : request->documents()) {
    requests.push_back(&r);
    responses.push_back(response->add_results());
  }
  engine_.RunAsync(
      requests, responses,
      [context, response, reactor, limits, n, start,
       call_metrics = std::move(call_metrics)]() mutable {
        SPDLOG_DEBUG("ClassifyBatch documents={}", n);
        const grpc::Status status =
            DefaultDeadlineStatus(*context, *limits, start);
        std::vector<v1::ClassifyResponse*> answered;
        answered.reserve(n);
        for (v1::ClassifyResponse& r : *response->mutable_results()) {
          answered.push_back(&r);
        }
        call_metrics.Finish(status, answered);
        if (!status.ok()) response->Clear();
        reactor->Finish(status);
      });
  return reactor;
}

grpc::ServerUnaryReactor* ClassifierService::ListPlugins(
    grpc::CallbackServerContext* /*context*/,
    const v1::ListPluginsRequest* /*request*/,
    v1::ListPluginsResponse* response) {
  UnaryCallMetrics call_metrics(metrics_, Rpc::kListPlugins);
  for (const ClassifierStatus& status : registry_->List()) {
    FillPluginInfo(status, Visibility::kPublic, response->add_plugins());
  }
  call_metrics.Finish(grpc::Status::OK);
  auto* reactor = NewUnaryReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace classifyd
