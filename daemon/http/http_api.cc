#include "http/http_api.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <span>
#include <vector>

#include "health/classifier_health.h"
#include "http/api_status.h"
#include "http/console_assets.h"
#include "http/json_body.h"
#include "service/plugin_info.h"

namespace classifyd {
namespace {

using httplib::Request;
using httplib::Response;

// A call that took longer than default_deadline_ms fails as it would over
// gRPC without a client deadline (HTTP has no deadline header here).
grpc::Status OverDefaultDeadline(const ServiceLimits& limits,
                                 std::chrono::steady_clock::time_point start) {
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (limits.default_deadline_ms == 0 ||
      took.count() <= static_cast<int64_t>(limits.default_deadline_ms)) {
    return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                      "classifying took " + std::to_string(took.count()) +
                          " ms, over the default deadline of " +
                          std::to_string(limits.default_deadline_ms) +
                          " ms (default_deadline_ms)");
}

// The PluginInfo of `name`; false if no entry has that name.
bool FindClassifier(const ClassifierRegistry& registry,
                    const std::string& name, ClassifierStatus* found) {
  bool any = false;
  for (ClassifierStatus& status : registry.List()) {
    if (status.name != name) continue;
    // The live entry wins over a retiring one of the same name.
    if (!any || status.state != ClassifierState::kUnloading) {
      *found = std::move(status);
    }
    any = true;
  }
  return any;
}

// 200 {"status":"SERVING"} or 503 {"status":"NOT_SERVING"}, the words of
// grpc.health.v1.
void SendServing(bool serving, Response& res) {
  res.status = serving ? 200 : 503;
  res.set_content(serving ? R"({"status":"SERVING"})"
                          : R"({"status":"NOT_SERVING"})",
                  "application/json");
}

void SendUnknownClassifier(const std::string& name, Response& res) {
  SendError(res, grpc::StatusCode::NOT_FOUND,
            "no classifier is named '" + name +
                "'; GET /v1/classifiers lists them");
}

}  // namespace

HttpApi::HttpApi(const ClassifyEngine* engine,
                 const ClassifierRegistry* registry, Metrics* metrics,
                 HttpApiOptions options)
    : engine_(engine),
      registry_(registry),
      metrics_(metrics),
      options_(options) {}

void HttpApi::StartDraining() { streams_->calls.StartDraining(); }

int HttpApi::WaitForStreams(std::chrono::steady_clock::time_point deadline) {
  return streams_->calls.WaitUntilIdle(deadline);
}

void HttpApi::EndStreams() { streams_->ending = true; }

void HttpApi::AddRoutes(httplib::Server* server) const {
  using ReaderHandler = httplib::Server::HandlerWithContentReader;
  server->Post("/v1/classify", [this](const Request& req, Response& res) {
    Classify(req, res);
  });
  server->Post("/v1/classify:batch", [this](const Request& req, Response& res) {
    ClassifyBatch(req, res);
  });
  server->Post("/v1/classify:stream",
               ReaderHandler([this](const Request& req, Response& res,
                                    const httplib::ContentReader& reader) {
                 ClassifyStream(req, res, reader);
               }));
  server->Get("/v1/classifiers", [this](const Request&, Response& res) {
    ListClassifiers(res);
  });
  server->Get(R"(/v1/classifiers/([^/]+))",
              [this](const Request& req, Response& res) {
                GetClassifier(req.matches[1], res);
              });
  server->Get(R"(/v1/classifiers/([^/]+)/ready)",
              [this](const Request& req, Response& res) {
                ClassifierReady(req.matches[1], res);
              });
  // Alive: the listener answers. Readiness is /readyz.
  server->Get("/healthz",
              [](const Request&, Response& res) { SendServing(true, res); });
  server->Get("/readyz",
              [this](const Request&, Response& res) { Readyz(res); });
  server->Get("/console/stats",
              [this](const Request&, Response& res) { ConsoleStats(res); });
  server->Get(R"(/|/console\.js|/console\.css)",
              [](const Request& req, Response& res) {
                const ConsoleAsset* asset = FindConsoleAsset(req.path);
                if (asset == nullptr) return;  // 404 from the error handler.
                res.set_content(asset->body.data(), asset->body.size(),
                                std::string(asset->content_type));
              });
}

void HttpApi::Classify(const Request& req, Response& res) const {
  v1::ClassifyRequest request;
  if (!ParseJsonBody(req, &request, res)) return;
  const auto start = std::chrono::steady_clock::now();
  const auto limits = engine_->limits();
  v1::ClassifyResponse response;
  const v1::ClassifyRequest* requests[] = {&request};
  v1::ClassifyResponse* responses[] = {&response};
  engine_->Run(requests, responses);
  grpc::Status status = OverDefaultDeadline(*limits, start);
  if (status.ok() && response.error().code() != 0) {
    status = grpc::Status(
        static_cast<grpc::StatusCode>(response.error().code()),
        response.error().message());
  }
  if (!status.ok()) {
    SendError(res, status.error_code(), status.error_message());
    return;
  }
  SendJson(response, res);
}

void HttpApi::ClassifyBatch(const Request& req, Response& res) const {
  v1::ClassifyBatchRequest request;
  if (!ParseJsonBody(req, &request, res)) return;
  const auto start = std::chrono::steady_clock::now();
  const auto limits = engine_->limits();
  const size_t n = static_cast<size_t>(request.documents_size());
  if (n > limits->max_batch_documents) {
    SendError(res, grpc::StatusCode::INVALID_ARGUMENT,
              "batch has " + std::to_string(n) +
                  " documents, over the limit of " +
                  std::to_string(limits->max_batch_documents) +
                  " (max_batch_documents)");
    return;
  }
  v1::ClassifyBatchResponse response;
  std::vector<const v1::ClassifyRequest*> requests;
  std::vector<v1::ClassifyResponse*> responses;
  requests.reserve(n);
  responses.reserve(n);
  for (const v1::ClassifyRequest& r : request.documents()) {
    requests.push_back(&r);
    responses.push_back(response.add_results());
  }
  engine_->Run(requests, responses);
  if (grpc::Status late = OverDefaultDeadline(*limits, start); !late.ok()) {
    SendError(res, late.error_code(), late.error_message());
    return;
  }
  SendJson(response, res);
}

void HttpApi::ListClassifiers(Response& res) const {
  v1::ListPluginsResponse response;
  for (const ClassifierStatus& status : registry_->List()) {
    FillPluginInfo(status, Visibility::kPublic, response.add_plugins());
  }
  SendJson(response, res);
}

void HttpApi::GetClassifier(const std::string& name, Response& res) const {
  ClassifierStatus status;
  if (!FindClassifier(*registry_, name, &status)) {
    SendUnknownClassifier(name, res);
    return;
  }
  v1::PluginInfo info;
  FillPluginInfo(status, Visibility::kPublic, &info);
  SendJson(info, res);
}

void HttpApi::ClassifierReady(const std::string& name, Response& res) const {
  ClassifierStatus status;
  if (!FindClassifier(*registry_, name, &status)) {
    SendUnknownClassifier(name, res);
    return;
  }
  SendServing(!streams_->calls.draining() && ClassifierAnswering(status), res);
}

void HttpApi::Readyz(Response& res) const {
  SendServing(!streams_->calls.draining() && registry_->HasAnswering(), res);
}

}  // namespace classifyd
