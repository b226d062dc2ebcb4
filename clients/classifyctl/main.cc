// classifyctl: the command-line client of classifyd. Parses the global
// flags and the subcommand, runs it, and turns every outcome into one of
// the documented exit codes (see connection.h).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "command.h"
#include "connection.h"

#ifndef CLASSIFYCTL_VERSION
#define CLASSIFYCTL_VERSION "unknown"
#endif

namespace classifyctl {
namespace {

// The flags every command takes, before or after its name.
void AddGlobalFlags(CLI::App* app, GlobalOptions* global) {
  app->add_option("--addr", global->addr,
                  "Address of classifyd's public gRPC listener, HOST:PORT")
      ->envname("CLASSIFYD_ADDR")
      ->capture_default_str()
      ->type_name("HOST:PORT");
  app->add_option("--admin-socket", global->admin_socket,
                  "The daemon's admin Unix socket, for reload, load and "
                  "unload. Default: the daemon's default, admin.sock in "
                  "$RUNTIME_DIRECTORY or in the newest running daemon's "
                  "<runtime-dir>/classifyd-<uid>-XXXXXX, runtime-dir being "
                  "$RUNTIME_DIRECTORY, $TMPDIR or /tmp (here: " +
                      DefaultAdminSocket() + ")")
      ->type_name("PATH");
  app->add_option("--timeout", global->timeout_seconds,
                  "Seconds to wait for an answer: per call; for `stream`, "
                  "the longest wait for the next answer")
      ->check(CLI::PositiveNumber.description(""))
      ->capture_default_str()
      ->type_name("SECONDS");
  app->set_version_flag("--version",
                        std::string("classifyctl ") + CLASSIFYCTL_VERSION);
}

// Parses the command line. Returns an exit code when there is nothing to
// run (help, version, bad usage), or -1 to go on.
int Parse(CLI::App* app, int argc, char** argv) {
  try {
    app->parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app->exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app->exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app->exit(e);
  } catch (const CLI::ParseError& e) {
    app->exit(e);  // Prints the message and "Run with --help ...".
    return kExitUsage;
  }
  return -1;
}

}  // namespace
}  // namespace classifyctl

int main(int argc, char** argv) {
  using namespace classifyctl;
  GlobalOptions global;
  CLI::App app(
      "classifyctl: command-line client of classifyd, the content-"
      "classification daemon.",
      "classifyctl");
  AddGlobalFlags(&app, &global);
  app.require_subcommand(1);
  // Global flags may also follow the subcommand: `classifyctl plugins
  // --addr HOST:PORT`.
  app.fallthrough();
  app.footer(std::string("\n") + kExitCodeHelp +
             "\n\nRun `classifyctl COMMAND --help` for a command's options.");

  std::vector<Command> commands = {
      AddClassifyCommand(&app, &global), AddStreamCommand(&app, &global),
      AddPluginsCommand(&app, &global),  AddHealthCommand(&app, &global),
      AddEvalCommand(&app, &global),
  };
  for (Command& c : AddAdminCommands(&app, &global)) commands.push_back(c);

  if (int code = Parse(&app, argc, argv); code >= 0) return code;
  global.addr_given = app.get_option("--addr")->count() > 0 ||
                      std::getenv("CLASSIFYD_ADDR") != nullptr;
  for (const Command& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return kExitUsage;  // Unreachable: a subcommand is required.
}
