// Runs a program (classifyctl, an example client, a script) as a
// subprocess the way a user does, and collects what it printed. Output
// goes to files, not pipes, so a chatty child never blocks on a full pipe.
#ifndef CLASSIFYD_TESTS_TESTING_CHILD_PROCESS_H_
#define CLASSIFYD_TESTS_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "testing/temp_dir.h"

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

struct ChildOptions {
  // Added to (or replacing) the parent's environment.
  std::map<std::string, std::string> env;
  // Removed from the parent's environment (e.g. a variable that would
  // change the program's defaults behind the test's back).
  std::vector<std::string> unset_env;
  // Standard input: this descriptor if >= 0 (e.g. a pipe the test writes
  // to), else a file holding `stdin_text` (empty: at end of file at once).
  int stdin_fd = -1;
  std::string stdin_text;
};

// A running program, started by the constructor (argv[0] an absolute
// path); a gtest failure if it cannot start. The destructor kills it if it
// is still running.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv,
                        const ChildOptions& options = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // What it has written to stdout so far.
  std::string OutputSoFar() const;
  // Polls until it has written something to stdout; false after `timeout`.
  bool WaitForOutput(std::chrono::seconds timeout) const;

  // Waits for the exit and collects the output. Kills it, with a gtest
  // failure, if it has not exited after `timeout`: the limit only catches
  // hangs and is generous.
  ProgramResult Wait(std::chrono::seconds timeout = std::chrono::seconds(300));

 private:
  std::string program_;
  TempDir io_;
  std::string out_path_, err_path_;
  pid_t pid_ = -1;
};

// Runs `argv` to its end with stdin at end of file: ChildProcess(argv,
// {env}).Wait(timeout).
ProgramResult RunProgram(
    const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& env = {},
    std::chrono::seconds timeout = std::chrono::seconds(300));

// A loopback TCP port nothing listens on: bound, read and released, so it
// may be taken again by the time it is used (callers that bind it retry;
// callers that expect "connection refused" are fine either way).
int UnusedLoopbackPort();

// A loopback TCP port held (bound and listening) for the object's life, so
// that a program told to listen on it fails; port() is 0 if it could not
// be taken.
class HeldLoopbackPort {
 public:
  HeldLoopbackPort();
  ~HeldLoopbackPort();
  HeldLoopbackPort(const HeldLoopbackPort&) = delete;
  HeldLoopbackPort& operator=(const HeldLoopbackPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace classifyd::testing

#endif  // CLASSIFYD_TESTS_TESTING_CHILD_PROCESS_H_
