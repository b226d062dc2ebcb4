// `classifyctl plugins`: ListPlugins as a table or JSON.
#include <cstdio>
#include <memory>

#include "classifyd/v1/classifier.grpc.pb.h"
#include "command.h"
#include "json_text.h"
#include "plugin_table.h"

namespace classifyctl {
namespace {

struct PluginsOptions {
  bool json = false;
};

int Run(const PluginsOptions& options, const GlobalOptions& global) {
  auto stub = classifyd::v1::Classifier::NewStub(PublicChannel(global));
  grpc::ClientContext context;
  SetDeadline(&context, global);
  classifyd::v1::ListPluginsResponse response;
  const grpc::Status status = stub->ListPlugins(&context, {}, &response);
  if (!status.ok()) return ReportRpcError(status, global, Endpoint::kPublic);
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
  return {app, [options, global] { return Run(*options, *global); }};
}

}  // namespace classifyctl
