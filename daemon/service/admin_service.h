// The classifyd.v1.PluginAdmin gRPC service: load, unload and reload
// classifiers on request, and list them with their file paths and full
// load errors (service/plugin_info.h's admin view). Registered only on the
// admin listener.
//
// Handlers queue the change on the ReloadCoordinator and return; the
// control thread finishes the RPC when the change is done, so no gRPC
// thread waits for a load. Every call is counted until it is done, for
// server/server_shutdown.h. Thread-safe.
#ifndef CLASSIFYD_DAEMON_SERVICE_ADMIN_SERVICE_H_
#define CLASSIFYD_DAEMON_SERVICE_ADMIN_SERVICE_H_

#include "classifyd/v1/admin.grpc.pb.h"
#include "registry/classifier_registry.h"
#include "registry/reload_coordinator.h"
#include "service/call_tracker.h"

namespace classifyd {

class AdminService final : public v1::PluginAdmin::CallbackService {
 public:
  // Both must outlive the service.
  AdminService(const ClassifierRegistry* registry,
               ReloadCoordinator* coordinator);

  grpc::ServerUnaryReactor* Reload(grpc::CallbackServerContext* context,
                                   const v1::ReloadRequest* request,
                                   v1::ReloadResponse* response) override;
  grpc::ServerUnaryReactor* Load(grpc::CallbackServerContext* context,
                                 const v1::LoadRequest* request,
                                 v1::ReloadResponse* response) override;
  grpc::ServerUnaryReactor* Unload(grpc::CallbackServerContext* context,
                                   const v1::UnloadRequest* request,
                                   v1::ReloadResponse* response) override;
  // Answers at once from the registry's list (no reload is waited for).
  grpc::ServerUnaryReactor* ListPlugins(
      grpc::CallbackServerContext* context,
      const v1::ListPluginsRequest* request,
      v1::ListPluginsResponse* response) override;

  // Calls whose reactor gRPC is not yet done with.
  int CallsInFlight() const { return calls_.in_flight(); }

 private:
  grpc::ServerUnaryReactor* Run(ReloadCoordinator::Kind kind,
                                const std::string& name,
                                v1::ReloadResponse* response);

  const ClassifierRegistry* const registry_;
  ReloadCoordinator* const coordinator_;
  CallTracker calls_;  // Never drains: refusing is the coordinator's job.
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_SERVICE_ADMIN_SERVICE_H_
