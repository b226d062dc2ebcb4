// `classifyctl reload|load|unload`: the PluginAdmin service, which the
// daemon serves only on its admin Unix socket (loading a library is code
// execution), never on --addr.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "classifyd/v1/admin.grpc.pb.h"
#include "command.h"
#include "json_text.h"
#include "plugin_table.h"

namespace classifyctl {
namespace {

using classifyd::v1::PluginAdmin;
using classifyd::v1::ReloadResponse;

struct AdminOptions {
  std::string name;
  bool json = false;
};

enum class Action { kReload, kLoad, kUnload };

int Run(Action action, const AdminOptions& options,
        const GlobalOptions& global) {
  if (const std::string refused = CheckAdminSocketOwner(global);
      !refused.empty()) {
    std::fprintf(stderr, "classifyctl: %s\n", refused.c_str());
    return kExitUsage;
  }
  auto stub = PluginAdmin::NewStub(AdminChannel(global));
  grpc::ClientContext context;
  SetDeadline(&context, global);
  ReloadResponse response;
  grpc::Status status;
  switch (action) {
    case Action::kReload: {
      classifyd::v1::ReloadRequest request;
      request.set_name(options.name);
      status = stub->Reload(&context, request, &response);
      break;
    }
    case Action::kLoad: {
      classifyd::v1::LoadRequest request;
      request.set_name(options.name);
      status = stub->Load(&context, request, &response);
      break;
    }
    case Action::kUnload: {
      classifyd::v1::UnloadRequest request;
      request.set_name(options.name);
      status = stub->Unload(&context, request, &response);
      break;
    }
  }
  if (!status.ok()) return ReportRpcError(status, global, Endpoint::kAdmin);
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    std::printf("loaded %d, failed %d, removed %d\n\n", response.loaded(),
                response.failed(), response.removed());
    PrintPluginTable(response.plugins(), stdout);
  }
  if (response.failed() > 0) {
    PrintError(std::to_string(response.failed()) +
               " load(s) failed; the previous generation, if any, keeps "
               "serving (see the errors above)");
    return kExitFailed;
  }
  return kExitOk;
}

Command AddOne(CLI::App* parent, const GlobalOptions* global, Action action,
               const char* name, const char* summary, const char* details,
               bool name_required) {
  auto options = std::make_shared<AdminOptions>();
  CLI::App* app = parent->add_subcommand(name, summary);
  app->footer(std::string("\n") + details +
              " Goes to the daemon's admin Unix socket (--admin-socket), "
              "never to --addr. Prints how many classifiers were loaded, "
              "failed and removed, and the classifiers afterwards. Exits 1 "
              "if a load failed.");
  auto* name_option =
      app->add_option("name", options->name,
                      "Classifier name: the manifest's file stem "
                      "(news-topics for news-topics.toml)")
          ->type_name("NAME");
  if (name_required) name_option->required();
  app->add_flag("--json", options->json,
                "Print the ReloadResponse as JSON (protobuf JSON mapping)");
  return {app,
          [options, global, action] { return Run(action, *options, *global); }};
}

}  // namespace

std::vector<Command> AddAdminCommands(CLI::App* parent,
                                      const GlobalOptions* global) {
  return {
      AddOne(parent, global, Action::kReload, "reload",
             "Reload what changed, or classifier NAME (admin socket)",
             "Rescans the plugin directory and reloads what changed (like "
             "SIGHUP); with NAME, reloads that classifier even if nothing "
             "changed.",
             false),
      AddOne(parent, global, Action::kLoad, "load",
             "Load classifier NAME (admin socket)",
             "Loads classifier NAME from <plugin-dir>/NAME.toml, also one "
             "that was unloaded.",
             true),
      AddOne(parent, global, Action::kUnload, "unload",
             "Stop serving classifier NAME (admin socket)",
             "Stops serving classifier NAME until `load`, or until its "
             "manifest changes.",
             true),
  };
}

}  // namespace classifyctl
