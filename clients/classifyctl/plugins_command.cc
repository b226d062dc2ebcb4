// `classifyctl plugins`: ListPlugins as a table or JSON, from the public
// listener or (--admin) from the admin socket, which adds file paths and
// the full reasons loads failed.
#include <cstdio>
#include <memory>

#include "classifyd/v1/admin.grpc.pb.h"
#include "classifyd/v1/classifier.grpc.pb.h"
#include "command.h"
#include "json_text.h"
#include "plugin_table.h"

namespace classifyctl {
namespace {

struct PluginsOptions {
  bool json = false;
  bool admin = false;
};

grpc::Status List(bool admin, const GlobalOptions& global,
                  classifyd::v1::ListPluginsResponse* response) {
  grpc::ClientContext context;
  SetDeadline(&context, global);
  if (admin) {
    return classifyd::v1::PluginAdmin::NewStub(AdminChannel(global))
        ->ListPlugins(&context, {}, response);
  }
  return classifyd::v1::Classifier::NewStub(PublicChannel(global))
      ->ListPlugins(&context, {}, response);
}

int Run(const PluginsOptions& options, const GlobalOptions& global) {
  classifyd::v1::ListPluginsResponse response;
  const grpc::Status status = List(options.admin, global, &response);
  if (!status.ok()) {
    return ReportRpcError(status, global,
                          options.admin ? Endpoint::kAdmin : Endpoint::kPublic);
  }
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    PrintPluginTable(response.plugins(), stdout);
  }
  return kExitOk;
}

}  // namespace

Command AddPluginsCommand(CLI::App* parent, const GlobalOptions* global) {
  auto options = std::make_shared<PluginsOptions>();
  CLI::App* app = parent->add_subcommand(
      "plugins", "List classifiers: state, generation, plugin, labels");
  app->footer(
      "\nOne row per classifier the server knows, failed ones included "
      "(their error on the line below).");
  app->add_flag("--json", options->json,
                "Print the ListPluginsResponse as JSON (protobuf JSON "
                "mapping)");
  app->add_flag("--admin", options->admin,
                "Ask the daemon's admin socket (--admin-socket): adds the "
                "paths of each classifier's files and the full reason a "
                "load failed");
  return {app, [options, global] { return Run(*options, *global); }};
}

}  // namespace classifyctl
