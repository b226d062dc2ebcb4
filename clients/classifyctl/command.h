// A subcommand: its CLI11 definition and what runs once the command line
// has been parsed. Each command lives in its own file and registers itself
// through an Add...Command() function, so main.cc only wires them up.
#ifndef CLASSIFYD_CLIENTS_CLASSIFYCTL_COMMAND_H_
#define CLASSIFYD_CLIENTS_CLASSIFYCTL_COMMAND_H_

#include <CLI/CLI.hpp>
#include <functional>

#include "connection.h"

namespace classifyctl {

struct Command {
  CLI::App* app = nullptr;
  // Runs the command; returns the process exit code (see ExitCode). Global
  // options are read only when it runs, after parsing.
  std::function<int()> run;
};

Command AddClassifyCommand(CLI::App* parent, const GlobalOptions* global);
Command AddStreamCommand(CLI::App* parent, const GlobalOptions* global);
Command AddPluginsCommand(CLI::App* parent, const GlobalOptions* global);
// reload, load and unload.
std::vector<Command> AddAdminCommands(CLI::App* parent,
                                      const GlobalOptions* global);
Command AddHealthCommand(CLI::App* parent, const GlobalOptions* global);
Command AddEvalCommand(CLI::App* parent, const GlobalOptions* global);

}  // namespace classifyctl

#endif  // CLASSIFYD_CLIENTS_CLASSIFYCTL_COMMAND_H_
