// HttpApi::MakeServer: the listener's engine settings (threads, timeouts,
// limits, TLS, error bodies) around the API's routes.
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>

#include "http/api_status.h"
#include "http/http_api.h"
#include "http/json_body.h"

namespace classifyd {
namespace {

// A connection that has sent nothing waits in the kernel, not on a thread,
// for this long (TCP_DEFER_ACCEPT): idle connections cost no thread.
constexpr int kDeferAcceptSeconds = 10;
constexpr auto kWriteTimeout = std::chrono::seconds(10);
// An idle keep-alive connection is closed after this long.
constexpr time_t kKeepAliveSeconds = 5;
constexpr size_t kKeepAliveMaxRequests = 1000;
constexpr int kListenBacklog = 1024;

// The gRPC listener's TLS settings on an OpenSSL context: TLS 1.2 or
// later, the same certificate, key, client CA and client-certificate
// policy. Files are read once, at start.
absl::Status SetUpTls(const TlsSettings& tls, SSL_CTX& ctx) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(&ctx, tls.cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(&ctx, tls.key_file.c_str(),
                                  SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(&ctx) != 1) {
    return absl::FailedPreconditionError(
        "cannot use --tls-cert/--tls-key for the HTTP listener");
  }
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(&ctx, tls.client_ca_file.c_str(),
                                      nullptr) != 1) {
      return absl::FailedPreconditionError(
          "cannot read --tls-client-ca for the HTTP listener");
    }
    SSL_CTX_set_client_CA_list(&ctx,
                               SSL_load_client_CA_file(tls.client_ca_file.c_str()));
  }
  const std::string auth = EffectiveClientAuth(tls);
  const int mode = auth == "require"
                       ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                   : auth == "request" ? SSL_VERIFY_PEER
                                       : SSL_VERIFY_NONE;
  SSL_CTX_set_verify(&ctx, mode, nullptr);
  return absl::OkStatus();
}

// The error body for what httplib refuses by itself (unknown path, body
// over the limit, malformed request) or a handler that threw.
void DefaultErrorBody(const httplib::Request& req, httplib::Response& res) {
  switch (res.status) {
    case 404:
      SendError(res, grpc::StatusCode::NOT_FOUND,
                "no such endpoint: " + req.method + " " + req.path);
      break;
    case 413:
      SendError(res, grpc::StatusCode::RESOURCE_EXHAUSTED,
                "the request body is over the limit (--max-message-bytes); "
                "split it, or send JSON Lines to /v1/classify:stream");
      break;
    case 414:
    case 431:
      SendError(res, grpc::StatusCode::INVALID_ARGUMENT,
                "request line or headers too long", res.status);
      break;
    default:
      SendError(res, res.status >= 500 ? grpc::StatusCode::INTERNAL
                                       : grpc::StatusCode::INVALID_ARGUMENT,
                "HTTP " + std::to_string(res.status) + " for " + req.method +
                    " " + req.path,
                res.status);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<httplib::Server>> HttpApi::MakeServer(
    const TlsSettings& tls) const {
  std::unique_ptr<httplib::Server> server;
  if (tls.enabled()) {
    absl::Status set_up;
    auto ssl =
        std::make_unique<httplib::SSLServer>([&tls, &set_up](SSL_CTX& ctx) {
          set_up = SetUpTls(tls, ctx);
          return set_up.ok();
        });
    if (!ssl->is_valid()) {
      return set_up.ok() ? absl::FailedPreconditionError(
                               "cannot set up TLS for the HTTP listener")
                         : set_up;
    }
    server = std::move(ssl);
  } else {
    server = std::make_unique<httplib::Server>();
  }
  const int threads = options_.threads;
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server->set_read_timeout(options_.read_timeout);
  server->set_write_timeout(kWriteTimeout);
  server->set_keep_alive_timeout(kKeepAliveSeconds);
  server->set_keep_alive_max_count(kKeepAliveMaxRequests);
  server->set_payload_max_length(options_.max_body_bytes);
  // httplib writes headers and body separately: with Nagle's algorithm the
  // body waits for the client's delayed ACK, 40 ms a call.
  server->set_tcp_nodelay(true);
  server->set_socket_options([fd = listen_fd_](int sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    setsockopt(sock, IPPROTO_TCP, TCP_DEFER_ACCEPT, &kDeferAcceptSeconds,
               sizeof(kDeferAcceptSeconds));
    *fd = sock;
  });
  using HandlerResponse = httplib::Server::HandlerResponse;
  server->set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return HandlerResponse::Unhandled;
        DefaultErrorBody(req, res);
        return HandlerResponse::Handled;
      }));
  server->set_exception_handler([](const httplib::Request&,
                                   httplib::Response& res, std::exception_ptr) {
    SendError(res, grpc::StatusCode::INTERNAL, "internal error");
  });
  AddRoutes(server.get());
  return server;
}

void HttpApi::RaiseBacklog() const {
  // httplib listens with a backlog of 5: too short for a burst of clients.
  if (*listen_fd_ >= 0 && listen(*listen_fd_, kListenBacklog) != 0) {
    spdlog::warn("HTTP listener: cannot raise the listen backlog");
  }
}

}  // namespace classifyd
