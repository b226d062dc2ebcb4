#include "http/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "config/host_port.h"

namespace classifyd {

HttpServer::HttpServer(std::unique_ptr<httplib::Server> server)
    : server_(std::move(server)) {}

HttpServer::~HttpServer() {
  // httplib's stop() does nothing before the listen loop has started.
  while (thread_.joinable() && !server_->is_running() && !listen_returned_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_->stop();
  if (thread_.joinable()) thread_.join();
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
