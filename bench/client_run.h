// Runs a shipped streaming client (classifyctl stream, the Python, Node or
// Go example) as a subprocess on a file of documents, one per line, and
// measures what the daemon spent on them: the way a user streams a file.
#ifndef CLASSIFYD_BENCH_CLIENT_RUN_H_
#define CLASSIFYD_BENCH_CLIENT_RUN_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "bench_common.h"

namespace classifyd::bench {

struct ClientRunOptions {
  std::vector<std::string> command;  // Reads documents on stdin, one JSON
                                     // line out per document.
  const std::vector<std::string>* docs = nullptr;
  std::string input;   // Input name, for the report.
  size_t count = 20'000;  // Documents sent (docs repeated as needed).
  pid_t server_pid = 0;
};

// Writes the documents to a temporary file, runs the command with it as
// stdin, counts its output lines (and those with labels), and returns the
// run's result: wall time from start to exit, server CPU over that time,
// the client's CPU (the child's rusage). An exit status other than 0 or a
// line count other than `count` counts as errors. Throws
// std::runtime_error if the command cannot be run.
Result RunClient(const ClientRunOptions& options);

}  // namespace classifyd::bench

#endif  // CLASSIFYD_BENCH_CLIENT_RUN_H_
