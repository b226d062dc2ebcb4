// How classifyctl reaches the daemon and what it tells the user when that
// fails. Every command goes through here, so exit codes and the advice in
// error messages are the same for all of them; scripts depend on both.
#ifndef CLASSIFYD_CLIENTS_CLASSIFYCTL_CONNECTION_H_
#define CLASSIFYD_CLIENTS_CLASSIFYCTL_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <string_view>

namespace classifyctl {

// Exit codes, documented in --help and README.md. Scripts rely on them:
// never renumber.
enum ExitCode : int {
  kExitOk = 0,
  // The server answered with an error (a bad document, an unknown
  // classifier, a failed load), some documents of a stream or an eval
  // failed, or local input/output failed mid-way.
  kExitFailed = 1,
  // Bad flags or arguments, or an input file that cannot be read or parsed.
  kExitUsage = 2,
  // Cannot connect, the server is UNAVAILABLE, or the deadline passed.
  kExitUnreachable = 3,
  // `health` only: the server answers but is NOT_SERVING.
  kExitNotServing = 4,
};

// The text of --help's footer and README's table, in one place.
extern const char kExitCodeHelp[];

struct GlobalOptions {
  std::string addr = "127.0.0.1:50051";
  // --addr (or $CLASSIFYD_ADDR) was given, not left at its default.
  bool addr_given = false;
  // Empty: DefaultAdminSocket(), the daemon's own default.
  std::string admin_socket;
  double timeout_seconds = 30;
};

// The socket of a daemon started without --admin-socket:
// $RUNTIME_DIRECTORY/admin.sock when systemd's directory holds one, else
// admin.sock in the most recently started live daemon's private directory
// <runtime-dir>/classifyd-<uid>-XXXXXX, runtime-dir being
// $RUNTIME_DIRECTORY, $TMPDIR or /tmp (<runtime-dir>/classifyd-<uid>-*/
// admin.sock when none is running). Of several live daemons, the newest
// whose public listener `addr` reaches (admin_socket_owner.h) wins. Must
// follow daemon/server/runtime_dir.h, or `reload` would not find a daemon
// started without flags.
std::string DefaultAdminSocket(const std::string& addr = "");

// The admin socket path this invocation uses.
std::string AdminSocketPath(const GlobalOptions& options);

// Empty when the admin socket belongs to the daemon --addr names (or says
// nothing of its owner); else why it must not be used. When --addr was
// not given, a socket of a daemon elsewhere is used, and stderr says whose.
std::string CheckAdminSocketOwner(const GlobalOptions& options);

// Channels with message limits that fit the daemon's (64 MiB by default).
std::shared_ptr<grpc::Channel> PublicChannel(const GlobalOptions& options);
std::shared_ptr<grpc::Channel> AdminChannel(const GlobalOptions& options);

// Gives `context` the --timeout deadline.
void SetDeadline(grpc::ClientContext* context, const GlobalOptions& options);

// Which listener a call went to: decides the advice on connection errors.
enum class Endpoint { kPublic, kAdmin };

// The exit code for a failed call: 3 for UNAVAILABLE or DEADLINE_EXCEEDED
// (the server cannot be reached or did not answer in time), 1 otherwise.
int ExitCodeFor(const grpc::Status& status);

// One line saying what failed and what to do about it, e.g. "cannot
// connect to 127.0.0.1:50051: is classifyd running? start it with
// ./run.sh, or pass --addr HOST:PORT".
std::string DescribeRpcError(const grpc::Status& status,
                             const GlobalOptions& options, Endpoint endpoint);

// Prints DescribeRpcError() to stderr and returns ExitCodeFor().
int ReportRpcError(const grpc::Status& status, const GlobalOptions& options,
                   Endpoint endpoint);

// The name of a gRPC status code, e.g. "INVALID_ARGUMENT".
std::string StatusCodeName(int code);

// Prints "classifyctl: <message>" to stderr.
void PrintError(std::string_view message);

}  // namespace classifyctl

#endif  // CLASSIFYD_CLIENTS_CLASSIFYCTL_CONNECTION_H_
