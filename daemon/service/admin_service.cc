#include "service/admin_service.h"

#include <spdlog/spdlog.h>

#include "plugin/manifest.h"
#include "service/counted_unary_reactor.h"
#include "service/plugin_info.h"

namespace classifyd {

AdminService::AdminService(const ClassifierRegistry* registry,
                           ReloadCoordinator* coordinator)
    : registry_(registry), coordinator_(coordinator) {}

grpc::ServerUnaryReactor* AdminService::Run(ReloadCoordinator::Kind kind,
                                            const std::string& name,
                                            v1::ReloadResponse* response) {
  auto* reactor = CountedUnaryReactor::Begin(&calls_);
  const bool named = kind != ReloadCoordinator::Kind::kRescan;
  if (named && !IsValidClassifierName(name)) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        QuotedClassifierName(name) +
            " is not a classifier name (1-64 letters, digits, '.', '_' or "
            "'-')"));
    return reactor;
  }
  auto done = [this, reactor, response,
               name](const ReloadCoordinator::Outcome& outcome) {
    if (outcome.cancelled) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   "the daemon is shutting down"));
      return;
    }
    if (outcome.result.not_found) {
      reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                   "no classifier or manifest named '" +
                                       name + "'"));
      return;
    }
    response->set_loaded(outcome.result.loaded);
    response->set_failed(outcome.result.failed);
    response->set_removed(outcome.result.removed);
    for (const ClassifierStatus& status : registry_->List()) {
      FillPluginInfo(status, Visibility::kAdmin, response->add_plugins());
    }
    reactor->Finish(grpc::Status::OK);
  };
  if (named) {
    coordinator_->Submit(kind, name, std::move(done));
  } else {
    coordinator_->RequestRescan("admin request", std::move(done));
  }
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::Reload(
    grpc::CallbackServerContext* /*context*/, const v1::ReloadRequest* request,
    v1::ReloadResponse* response) {
  return Run(request->name().empty() ? ReloadCoordinator::Kind::kRescan
                                     : ReloadCoordinator::Kind::kReload,
             request->name(), response);
}

grpc::ServerUnaryReactor* AdminService::Load(
    grpc::CallbackServerContext* /*context*/, const v1::LoadRequest* request,
    v1::ReloadResponse* response) {
  return Run(ReloadCoordinator::Kind::kLoad, request->name(), response);
}

grpc::ServerUnaryReactor* AdminService::Unload(
    grpc::CallbackServerContext* /*context*/, const v1::UnloadRequest* request,
    v1::ReloadResponse* response) {
  return Run(ReloadCoordinator::Kind::kUnload, request->name(), response);
}

grpc::ServerUnaryReactor* AdminService::ListPlugins(
    grpc::CallbackServerContext* /*context*/,
    const v1::ListPluginsRequest* /*request*/,
    v1::ListPluginsResponse* response) {
  for (const ClassifierStatus& status : registry_->List()) {
    FillPluginInfo(status, Visibility::kAdmin, response->add_plugins());
  }
  auto* reactor = CountedUnaryReactor::Begin(&calls_);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace classifyd
