#include "service/classifier_service.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "service/classify_stream_reactor.h"
#include "service/plugin_info.h"

namespace classifyd {

ClassifierService::ClassifierService(const ClassifierRegistry* registry,
                                     ServiceLimits limits)
    : registry_(registry), engine_(registry, limits) {}

grpc::ServerUnaryReactor* ClassifierService::Classify(
    grpc::CallbackServerContext* context, const v1::ClassifyRequest* request,
    v1::ClassifyResponse* response) {
  const v1::ClassifyRequest* requests[] = {request};
  v1::ClassifyResponse* responses[] = {response};
  engine_.Run(requests, responses);
  grpc::Status status;
  if (response->error().code() != 0) {
    status = grpc::Status(
        static_cast<grpc::StatusCode>(response->error().code()),
        response->error().message());
  }
  SPDLOG_DEBUG("Classify id={} bytes={} labels={} code={}", request->id(),
               request->text().size(), response->labels_size(),
               response->error().code());
  auto* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

grpc::ServerBidiReactor<v1::ClassifyRequest, v1::ClassifyResponse>*
ClassifierService::ClassifyStream(grpc::CallbackServerContext* context) {
  SPDLOG_DEBUG("ClassifyStream from {}", context->peer());
  return new ClassifyStreamReactor(&engine_);
}

grpc::ServerUnaryReactor* ClassifierService::ClassifyBatch(
    grpc::CallbackServerContext* context,
    const v1::ClassifyBatchRequest* request,
    v1::ClassifyBatchResponse* response) {
  auto* reactor = context->DefaultReactor();
  const size_t n = static_cast<size_t>(request->documents_size());
  if (n > engine_.limits().max_batch_documents) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "batch has " + std::to_string(n) + " documents, over the limit of " +
            std::to_string(engine_.limits().max_batch_documents) +
            " (max_batch_documents)"));
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
  engine_.Run(requests, responses);
  SPDLOG_DEBUG("ClassifyBatch documents={}", n);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* ClassifierService::ListPlugins(
    grpc::CallbackServerContext* context,
    const v1::ListPluginsRequest* /*request*/,
    v1::ListPluginsResponse* response) {
  for (const ClassifierStatus& status : registry_->List()) {
    FillPluginInfo(status, response->add_plugins());
  }
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace classifyd
