#include "client_run.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace classifyd::bench {
namespace {

// A temporary file holding `count` documents, one per line; unlinked at
// once, so only the returned descriptor keeps it.
int WriteInputFile(const std::vector<std::string>& docs, size_t count) {
  char path[] = "/tmp/classifyd-bench-input-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error(std::string("mkstemp: ") + std::strerror(errno));
  unlink(path);
  std::FILE* out = fdopen(dup(fd), "w");
  for (size_t i = 0; i < count; ++i) {
    const std::string& d = docs[i % docs.size()];
    std::fwrite(d.data(), 1, d.size(), out);
    std::fputc('\n', out);
  }
  if (std::fclose(out) != 0) throw std::runtime_error("cannot write the input file");
  lseek(fd, 0, SEEK_SET);
  return fd;
}

pid_t Spawn(const std::vector<std::string>& command, int stdin_fd, int stdout_fd) {
  std::vector<char*> argv;
  for (const std::string& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    dup2(stdin_fd, 0);
    dup2(stdout_fd, 1);
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "classifyd-bench: cannot run %s: %s\n", argv[0],
                 std::strerror(errno));
    _exit(127);
  }
  return pid;
}

}  // namespace

Result RunClient(const ClientRunOptions& o) {
  const int input = WriteInputFile(*o.docs, o.count);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const CpuTimes server0 = ReadProcessCpu(o.server_pid);
  const Clock::time_point start = Clock::now();
  const pid_t child = Spawn(o.command, input, pipe_fds[1]);
  close(pipe_fds[1]);
  close(input);

  Result result;
  std::FILE* out = fdopen(pipe_fds[0], "r");
  char* line = nullptr;
  size_t capacity = 0;
  while (getline(&line, &capacity, out) > 0) {
    ++result.docs;
    if (std::strstr(line, "\"labels\"") != nullptr) ++result.labelled;
  }
  std::free(line);
  std::fclose(out);
  int status = 0;
  struct rusage usage {};
  wait4(child, &status, 0, &usage);
  const Clock::time_point end = Clock::now();
  const CpuTimes server1 = ReadProcessCpu(o.server_pid);

  result.seconds = std::chrono::duration<double>(end - start).count();
  result.have_server_cpu = true;
  result.server_cpu = {server1.user_us - server0.user_us,
                       server1.system_us - server0.system_us};
  result.client_cpu = {usage.ru_utime.tv_sec * 1e6 + usage.ru_utime.tv_usec +
                           usage.ru_stime.tv_sec * 1e6 + usage.ru_stime.tv_usec,
                       0};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++result.errors;
  if (result.docs != o.count) ++result.errors;
  result.input = o.input;
  result.latency_unit = "run";
  double bytes = 0;
  for (const std::string& d : *o.docs) bytes += d.size();
  result.avg_doc_bytes = o.docs->empty() ? 0 : bytes / o.docs->size();
  return result;
}

}  // namespace classifyd::bench
