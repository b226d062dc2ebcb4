#include "http/http_server.h"

#include <dirent.h>
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "config/host_port.h"

namespace classifyd {

namespace {

// "address port" of a peer, the address spelt as httplib spells a
// request's remote_addr (numeric, getnameinfo).
std::string PeerKey(const std::string& address, int port) {
  return address + " " + std::to_string(port);
}

// The peer of accepted socket `fd` if it is bound locally to `port`, or
// empty (another descriptor, a listener, or not connected).
std::string PeerOn(int fd, int port) {
  sockaddr_storage local{};
  socklen_t size = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &size) != 0) {
    return {};
  }
  int local_port = -1;
  if (local.ss_family == AF_INET) {
    local_port = ntohs(reinterpret_cast<const sockaddr_in&>(local).sin_port);
  } else if (local.ss_family == AF_INET6) {
    local_port = ntohs(reinterpret_cast<const sockaddr_in6&>(local).sin6_port);
  }
  sockaddr_storage peer{};
  size = sizeof peer;
  if (local_port != port ||
      getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &size) != 0) {
    return {};
  }
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&peer), size, host,
                  sizeof host, service, sizeof service,
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return {};
  }
  return PeerKey(host, std::atoi(service));
}

}  // namespace

HttpServer::HttpServer(std::unique_ptr<httplib::Server> server)
    : server_(std::move(server)) {}

HttpServer::~HttpServer() {
  // httplib's stop() does nothing before the listen loop has started.
  while (thread_.joinable() && !server_->is_running() && !listen_returned_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_->stop();
  if (port_ > 0) EndIdleConnections();
  if (thread_.joinable()) thread_.join();
}

// cpp-httplib 0.11 looks at stop() only between requests: a worker that
// waits on a kept-alive connection for its next request notices it when
// the client sends one or at the keep-alive timeout (seconds), and the
// listener's threads are joined only then. Such a worker ends the
// connection at once when its read side ends. A connection a request is
// being served on is left alone: httplib would take the ended read side
// for a client gone and drop the response. So is one with bytes waiting,
// a request its worker has yet to read. httplib does not hand out the
// sockets it accepts, so they are found among the process's descriptors:
// bound locally to the listener's port, with a peer.
void HttpServer::EndIdleConnections() {
  DIR* fds = opendir("/proc/self/fd");
  if (fds == nullptr) return;
  // Held throughout, so no request reaches its handler meanwhile. One
  // whose headers its worker is reading at the very moment its connection
  // is looked at is lost (no response); the listener stops at the end of
  // the drain, long after the daemon reported itself not ready.
  std::lock_guard lock(mu_);
  const auto serving = [this](const std::string& peer) {
    return std::any_of(serving_.begin(), serving_.end(),
                       [&](const auto& entry) { return entry.second == peer; });
  };
  while (const dirent* entry = readdir(fds)) {
    char* end = nullptr;
    const long number = std::strtol(entry->d_name, &end, 10);
    const int fd = static_cast<int>(number);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(fds)) continue;
    const std::string peer = PeerOn(fd, port_);
    if (peer.empty() || serving(peer)) continue;
    int waiting = 0;
    if (ioctl(fd, FIONREAD, &waiting) == 0 && waiting == 0) {
      shutdown(fd, SHUT_RD);
    }
  }
  closedir(fds);
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& address, const std::string& path, PageHandler handler) {
  auto http = std::make_unique<httplib::Server>();
  // Scrapes are rare and cheap: two threads are plenty, and httplib's
  // default (one per core, at least 8) would only idle.
  http->new_task_queue = [] { return new httplib::ThreadPool(2); };
  http->Get(path, [handler](const httplib::Request&, httplib::Response& res) {
    Page page = handler();
    res.set_content(std::move(page.body), page.content_type);
  });
  // A person who opens the listener's address in a browser learns where
  // to go; probes that GET / see a 200.
  if (path != "/") {
    http->Get("/", [path](const httplib::Request&, httplib::Response& res) {
      res.set_content("<!DOCTYPE html>\n<html><head><title>classifyd</title>"
                      "</head><body><h1>classifyd</h1><p><a href=\"" +
                          path + "\">" + path +
                          "</a></p></body></html>\n",
                      "text/html; charset=utf-8");
    });
  }
  return Start(std::move(http), address);
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    std::unique_ptr<httplib::Server> http, const std::string& address) {
  absl::StatusOr<HostPort> parsed = ParseHostPort(address);
  if (!parsed.ok()) return parsed.status();
  const HostPort& where = *parsed;
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(http)));
  httplib::Server& bound = *server->server_;
  // A request is being served from its headers (pre-routing) until its
  // response is written (the logger).
  bound.set_pre_routing_handler(
      [s = server.get()](const httplib::Request& req, httplib::Response&) {
        std::lock_guard lock(s->mu_);
        s->serving_[std::this_thread::get_id()] =
            PeerKey(req.remote_addr, req.remote_port);
        return httplib::Server::HandlerResponse::Unhandled;
      });
  bound.set_logger([s = server.get()](const httplib::Request& req,
                                      const httplib::Response&) {
    std::lock_guard lock(s->mu_);
    s->serving_.erase(std::this_thread::get_id());
  });
  if (where.port == 0) {
    server->port_ = bound.bind_to_any_port(where.host);
  } else if (bound.bind_to_port(where.host, where.port)) {
    server->port_ = where.port;
  }
  if (server->port_ <= 0) {
    return absl::UnavailableError("cannot listen on '" + address +
                                  "' (address in use or invalid?)");
  }
  server->thread_ = std::thread([&bound, s = server.get()] {
    if (!bound.listen_after_bind()) spdlog::error("HTTP listener failed");
    s->listen_returned_ = true;
  });
  return server;
}

}  // namespace classifyd
