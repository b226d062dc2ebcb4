#include "http/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>

namespace classifyd {

std::variant<HostPort, std::string> ParseHostPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return "'" + address + "' is not HOST:PORT";
  }
  HostPort result;
  result.host = address.substr(0, colon);
  if (result.host.front() == '[' && result.host.back() == ']') {
    result.host = result.host.substr(1, result.host.size() - 2);
  } else if (result.host.find(':') != std::string::npos) {
    return "'" + address + "': write an IPv6 address in brackets, [::1]:PORT";
  }
  const std::string port = address.substr(colon + 1);
  const auto [end, ec] =
      std::from_chars(port.data(), port.data() + port.size(), result.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() ||
      result.port < 0 || result.port > 65535) {
    return "'" + address + "': port must be a number from 0 to 65535";
  }
  return result;
}

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

std::unique_ptr<HttpServer> HttpServer::Start(const std::string& address,
                                              const std::string& path,
                                              PageHandler handler,
                                              std::string* error) {
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
  return Start(std::move(http), address, error);
}

std::unique_ptr<HttpServer> HttpServer::Start(
    std::unique_ptr<httplib::Server> http, const std::string& address,
    std::string* error) {
  auto parsed = ParseHostPort(address);
  if (auto* problem = std::get_if<std::string>(&parsed)) {
    *error = *problem;
    return nullptr;
  }
  const HostPort& where = std::get<HostPort>(parsed);
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(http)));
  httplib::Server& bound = *server->server_;
  if (where.port == 0) {
    server->port_ = bound.bind_to_any_port(where.host);
  } else if (bound.bind_to_port(where.host, where.port)) {
    server->port_ = where.port;
  }
  if (server->port_ <= 0) {
    *error = "cannot listen on '" + address + "' (address in use or invalid?)";
    return nullptr;
  }
  server->thread_ = std::thread([&bound, s = server.get()] {
    if (!bound.listen_after_bind()) spdlog::error("HTTP listener failed");
    s->listen_returned_ = true;
  });
  return server;
}

}  // namespace classifyd
