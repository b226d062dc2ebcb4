#include "connection.h"

#include <absl/status/status.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "admin_socket_owner.h"

namespace classifyctl {

const char kExitCodeHelp[] =
    "Exit codes:\n"
    "  0  success\n"
    "  1  the server answered with an error (bad document, unknown "
    "classifier,\n"
    "     failed load), or some documents of a stream or eval failed\n"
    "  2  usage error: bad flags or arguments, unreadable or malformed "
    "input file\n"
    "  3  cannot connect, server UNAVAILABLE, or no answer within "
    "--timeout\n"
    "  4  health: the server is NOT_SERVING";

namespace {

constexpr int kMaxMessageBytes = 64 << 20;  // The daemon's default limit.

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   args);
}

// gRPC reports a failed connection attempt as UNAVAILABLE with one of these
// in the message; the daemon's own UNAVAILABLE ("no classifier is ready")
// has none of them.
bool IsConnectFailure(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return false;
  const std::string& m = status.error_message();
  for (const char* marker :
       {"failed to connect", "Failed to connect", "Connection refused",
        "No such file", "Permission denied", "DNS resolution failed",
        "Socket closed", "Connection reset", "Broken pipe",
        "empty address list"}) {
    if (m.find(marker) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string DefaultAdminSocket(const std::string& addr) {
  // The daemon's rule (daemon/server/runtime_dir.h): systemd's
  // $RUNTIME_DIRECTORY is used as it is; anywhere else each daemon makes
  // <runtime-dir>/classifyd-<uid>-XXXXXX, with its pid file, and removes
  // it when it exits.
  std::string runtime_dir = "/tmp";
  const char* systemd = std::getenv("RUNTIME_DIRECTORY");
  const char* tmpdir = std::getenv("TMPDIR");
  struct stat st;
  if (systemd != nullptr && systemd[0] != '\0') {
    runtime_dir = systemd;
    runtime_dir = runtime_dir.substr(0, runtime_dir.find(':'));  // First.
    const std::string socket = runtime_dir + "/admin.sock";
    if (lstat(socket.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return socket;
  } else if (tmpdir != nullptr && tmpdir[0] != '\0') {
    runtime_dir = tmpdir;
  }
  // The socket of this user's most recently started live daemon whose
  // public listener is `addr` (any live daemon's when none is): the
  // directory is the user's, its pid file names a running process.
  const std::string prefix = "classifyd-" + std::to_string(geteuid()) + "-";
  std::string newest[2];  // [0]: any daemon, [1]: one that `addr` reaches.
  struct timespec newest_start[2] = {{0, 0}, {0, 0}};
  std::error_code ec;
  for (std::filesystem::directory_iterator it(runtime_dir, ec), end;
       !ec && it != end; it.increment(ec)) {
    const std::string dir = it->path().string();
    const std::string socket = dir + "/admin.sock";
    const std::string pid_file = dir + "/classifyd.pid";
    long pid = 0;
    if (it->path().filename().string().rfind(prefix, 0) != 0 ||
        lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
        st.st_uid != geteuid() || lstat(socket.c_str(), &st) != 0 ||
        !S_ISSOCK(st.st_mode) || !(std::ifstream(pid_file) >> pid) ||
        pid <= 0 || kill(static_cast<pid_t>(pid), 0) != 0 ||
        lstat(pid_file.c_str(), &st) != 0) {
      continue;
    }
    const std::string owner = AdminSocketOwner(socket);
    const bool reached = !addr.empty() && !owner.empty() &&
                         SameListener(owner, addr);
    for (int i = 0; i <= (reached ? 1 : 0); ++i) {
      if (newest[i].empty() || st.st_mtim.tv_sec > newest_start[i].tv_sec ||
          (st.st_mtim.tv_sec == newest_start[i].tv_sec &&
           st.st_mtim.tv_nsec > newest_start[i].tv_nsec)) {
        newest[i] = socket;
        newest_start[i] = st.st_mtim;
      }
    }
  }
  if (!newest[1].empty()) return newest[1];
  if (!newest[0].empty()) return newest[0];
  return runtime_dir + "/" + prefix + "*/admin.sock";  // None is running.
}

std::string AdminSocketPath(const GlobalOptions& options) {
  std::string path = options.admin_socket.empty()
                         ? DefaultAdminSocket(options.addr)
                         : options.admin_socket;
  if (path.rfind("unix:", 0) == 0) path.erase(0, 5);
  return path;
}

std::string CheckAdminSocketOwner(const GlobalOptions& options) {
  const std::string socket = AdminSocketPath(options);
  const std::string owner = AdminSocketOwner(socket);
  if (owner.empty() || SameListener(owner, options.addr)) return "";
  if (!options.addr_given) {
    // Without --addr there is no other daemon the user meant: say which
    // one this is.
    std::fprintf(stderr, "classifyctl: admin socket %s is the daemon's on %s\n",
                 socket.c_str(), owner.c_str());
    return "";
  }
  return "admin socket " + socket + " belongs to the daemon listening on " +
         owner + ", not to --addr " + options.addr +
         ": pass that daemon's --admin-socket, or --addr " + owner;
}

std::shared_ptr<grpc::Channel> PublicChannel(const GlobalOptions& options) {
  return MakeChannel(options.addr);
}

std::shared_ptr<grpc::Channel> AdminChannel(const GlobalOptions& options) {
  return MakeChannel("unix:" + AdminSocketPath(options));
}

void SetDeadline(grpc::ClientContext* context, const GlobalOptions& options) {
  context->set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::duration<double>(options.timeout_seconds)));
}

int ExitCodeFor(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kExitUnreachable;
    default:
      return kExitFailed;
  }
}

std::string DescribeRpcError(const grpc::Status& status,
                             const GlobalOptions& options, Endpoint endpoint) {
  const bool admin = endpoint == Endpoint::kAdmin;
  const std::string where =
      admin ? "the admin socket " + AdminSocketPath(options) : options.addr;
  std::ostringstream out;
  if (IsConnectFailure(status)) {
    out << "cannot connect to " << where << ": ";
    if (admin) {
      out << "is classifyd running as this user, with its admin socket "
             "there? pass the daemon's --admin-socket PATH with "
             "--admin-socket";
    } else {
      out << "is classifyd running? start it with ./run.sh, or pass "
             "--addr HOST:PORT";
    }
    out << " (" << status.error_message() << ")";
    return out.str();
  }
  switch (status.error_code()) {
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      out << "no answer from " << where << " within " << options.timeout_seconds
          << " s: the server is busy or stuck; raise --timeout";
      return out.str();
    case grpc::StatusCode::UNAVAILABLE:
      out << where << " is unavailable: " << status.error_message();
      if (!admin) out << " (see `classifyctl plugins` for classifier states)";
      return out.str();
    case grpc::StatusCode::UNIMPLEMENTED:
      if (admin) {
        out << where << " does not serve PluginAdmin ("
            << status.error_message()
            << "): point --admin-socket at the daemon's admin socket";
      } else {
        out << where << " does not serve this call (" << status.error_message()
            << "): is it classifyd?";
      }
      return out.str();
    default:
      out << "the server answered " << StatusCodeName(status.error_code())
          << ": " << status.error_message();
      return out.str();
  }
}

int ReportRpcError(const grpc::Status& status, const GlobalOptions& options,
                   Endpoint endpoint) {
  PrintError(DescribeRpcError(status, options, endpoint));
  return ExitCodeFor(status);
}

std::string StatusCodeName(int code) {
  // gRPC's codes and Abseil's are the same numbers with the same names.
  std::string name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? "code " + std::to_string(code) : name;
}

void PrintError(std::string_view message) {
  std::fprintf(stderr, "classifyctl: %.*s\n", static_cast<int>(message.size()),
               message.data());
}

}  // namespace classifyctl
