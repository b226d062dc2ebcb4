#include "testing/daemon_process.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "classifyd/v1/admin.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace classifyd::testing {

std::string DaemonBinary() { return CLASSIFYD_BINARY; }
std::string PluginLibDir() { return CLASSIFYD_PLUGIN_LIB_DIR; }
std::string TestPluginDir() { return CLASSIFYD_TEST_PLUGIN_DIR; }
std::string SourceDir() { return CLASSIFYD_SOURCE_DIR; }
std::string BundledModelPath() {
  return SourceDir() + "/models/news-topics/model.ftz";
}

std::string KeywordManifest(const std::string& rules,
                            const std::string& extra_options, double weight) {
  std::ostringstream out;
  out << "plugin = \"" << TestPluginDir() << "/keyword.so\"\n"
      << "weight = " << weight << "\n"
      << "[options]\n"
      << "rules = \"" << rules << "\"\n"
      << extra_options << "\n";
  return out.str();
}

std::unique_ptr<DaemonProcess> DaemonProcess::Start(
    const std::string& plugin_dir, const std::vector<std::string>& extra_args,
    bool wait_serving) {
  std::unique_ptr<DaemonProcess> d(new DaemonProcess());
  const std::string port_file = d->work_.path() + "/port";
  d->log_path_ = d->work_.path() + "/daemon.log";
  std::vector<std::string> args = {
      DaemonBinary(),         "--listen",         "127.0.0.1:0",
      "--port-file",          port_file,          "--plugin-dir",
      plugin_dir,             "--plugin-lib-dir", PluginLibDir(),
      "--runtime-dir",        d->work_.path(),    "--log-level",
      "debug",                "--admin-socket",   d->admin_socket()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());

  // Everything the child needs is prepared before fork(): only
  // async-signal-safe calls may follow it in a threaded process.
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int log_fd =
      open(d->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    ADD_FAILURE() << "cannot create " << d->log_path_;
    return nullptr;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(log_fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log_fd);
  d->pid_ = pid;

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file);
    int port = 0;
    if (in >> port && port > 0) {
      d->port_ = port;
      break;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      d->exited_ = true;
      ADD_FAILURE() << "classifyd exited during start-up:\n" << d->Log();
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (d->port_ == 0) {
    ADD_FAILURE() << "classifyd did not start listening:\n" << d->Log();
    return nullptr;
  }
  if (wait_serving &&
      !d->WaitForHealth(true, std::chrono::seconds(60))) {
    ADD_FAILURE() << "classifyd never reported SERVING:\n" << d->Log();
    return nullptr;
  }
  return d;
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

std::string DaemonProcess::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

std::shared_ptr<grpc::Channel> DaemonProcess::NewChannel() const {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(256 << 20);
  args.SetMaxSendMessageSize(256 << 20);
  // A separate connection per channel, so tests model separate clients.
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  return grpc::CreateCustomChannel(
      address(), grpc::InsecureChannelCredentials(), args);
}

std::shared_ptr<grpc::Channel> DaemonProcess::NewAdminChannel() const {
  return grpc::CreateChannel("unix:" + admin_socket(),
                             grpc::InsecureChannelCredentials());
}

v1::ListPluginsResponse DaemonProcess::AdminListPlugins() const {
  auto admin = v1::PluginAdmin::NewStub(NewAdminChannel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  v1::ListPluginsResponse response;
  const grpc::Status status = admin->ListPlugins(&context, {}, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

void DaemonProcess::Signal(int signal) const { kill(pid_, signal); }

std::optional<int> DaemonProcess::WaitForExit(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

std::string DaemonProcess::Log() const {
  std::ifstream in(log_path_);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool DaemonProcess::WaitForLog(const std::string& text,
                               std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

bool DaemonProcess::WaitForHealth(bool serving,
                                  std::chrono::milliseconds timeout,
                                  const std::string& service) const {
  auto stub = grpc::health::v1::Health::NewStub(NewChannel());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(2));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(&context, request, &response);
    const bool is_serving =
        status.ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
    if (status.ok() && is_serving == serving) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace classifyd::testing
