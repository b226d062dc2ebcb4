#include "testing/child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace classifyd::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The parent's environment minus `unset` and the names in `env`, plus
// `env`.
std::vector<std::string> ChildEnvironment(
    const std::map<std::string, std::string>& env,
    const std::vector<std::string>& unset) {
  std::vector<std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string var = *e;
    const std::string name = var.substr(0, var.find('='));
    if (env.count(name) != 0 ||
        std::find(unset.begin(), unset.end(), name) != unset.end()) {
      continue;
    }
    vars.push_back(var);
  }
  for (const auto& [name, value] : env) vars.push_back(name + "=" + value);
  return vars;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

std::vector<std::string> ProgramResult::OutLines() const {
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string ProgramResult::Show() const {
  return "exit " + std::to_string(exit_code) + "\n--- stdout\n" + out +
         "--- stderr\n" + err;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const ChildOptions& options)
    : program_(argv.at(0)),
      out_path_(io_.path() + "/stdout"),
      err_path_(io_.path() + "/stderr") {
  std::vector<std::string> args = argv;
  std::vector<std::string> vars =
      ChildEnvironment(options.env, options.unset_env);
  std::vector<char*> arg_ptrs = Pointers(args);
  std::vector<char*> var_ptrs = Pointers(vars);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  std::string stdin_path;
  if (options.stdin_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, options.stdin_fd, 0);
  } else {
    stdin_path = io_.WriteFile("stdin", options.stdin_text);
    posix_spawn_file_actions_addopen(&actions, 0, stdin_path.c_str(),
                                     O_RDONLY, 0);
  }
  posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int rc = posix_spawn(&pid_, arg_ptrs[0], &actions, nullptr,
                             arg_ptrs.data(), var_ptrs.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << program_ << ": " << strerror(rc);
    pid_ = -1;
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string ChildProcess::OutputSoFar() const { return ReadFile(out_path_); }

bool ChildProcess::WaitForOutput(std::chrono::seconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (OutputSoFar().empty()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

ProgramResult ChildProcess::Wait(std::chrono::seconds timeout) {
  ProgramResult result;
  if (pid_ <= 0) return result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      ADD_FAILURE() << program_ << " did not exit within " << timeout.count()
                    << " s";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  result.exit_code =
      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(out_path_);
  result.err = ReadFile(err_path_);
  return result;
}

ProgramResult RunProgram(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env,
                         std::chrono::seconds timeout) {
  ChildOptions options;
  options.env = env;
  return ChildProcess(argv, options).Wait(timeout);
}

int UnusedLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  close(fd);
  return ntohs(addr.sin_port);
}

HeldLoopbackPort::HeldLoopbackPort()
    : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  if (fd_ >= 0 &&
      bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      listen(fd_, 1) == 0 &&
      getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
    port_ = ntohs(addr.sin_port);
  }
}

HeldLoopbackPort::~HeldLoopbackPort() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace classifyd::testing
