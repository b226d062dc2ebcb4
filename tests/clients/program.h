// Runs an example client (a Python or Node script, a Go binary) as a
// subprocess the way a user does, and collects what it printed.
#ifndef CLASSIFYD_TESTS_CLIENTS_PROGRAM_H_
#define CLASSIFYD_TESTS_CLIENTS_PROGRAM_H_

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace classifyd::testing {

// What a finished program left behind.
struct ProgramResult {
  int exit_code = -1;  // 128 + signal if it was killed.
  std::string out;
  std::string err;

  std::vector<std::string> OutLines() const;
  // Exit code and both outputs, for failure messages.
  std::string Show() const;
};

// Runs `argv` (argv[0] an absolute path) with the parent's environment plus
// `env`, stdin from /dev/null, and stdout/stderr to files (so a chatty child
// never blocks on a pipe). Kills it, with a gtest failure, if it has not
// exited after `timeout`: the limit only catches hangs and is generous.
ProgramResult RunProgram(
    const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& env = {},
    std::chrono::seconds timeout = std::chrono::seconds(300));

}  // namespace classifyd::testing

#endif  // CLASSIFYD_TESTS_CLIENTS_PROGRAM_H_
