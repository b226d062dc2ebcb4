// The daemon's optional HTTP listeners (cpp-httplib): the Prometheus
// /metrics endpoint, and the HTTP/JSON API (http/http_api.h). Each serves
// on its own thread pool, apart from gRPC's, so a slow scraper never takes
// a classification thread.
//
// Thread-safe. The destructor stops the listener and joins its threads.
#ifndef CLASSIFYD_DAEMON_HTTP_HTTP_SERVER_H_
#define CLASSIFYD_DAEMON_HTTP_HTTP_SERVER_H_

#include <absl/status/statusor.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace classifyd {

class HttpServer {
 public:
  // The body and Content-Type of a GET response.
  struct Page {
    std::string body;
    std::string content_type;
  };
  using PageHandler = std::function<Page()>;

  // Binds `address` (HOST:PORT; port 0 picks a free one) and serves GET
  // `path` with `handler`. INVALID_ARGUMENT for an address that is not
  // HOST:PORT, UNAVAILABLE if it cannot bind.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& address, const std::string& path, PageHandler handler);

  // Binds `address` and serves with `server`, already given its routes,
  // thread pool and socket options. Fails like the Start above.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      std::unique_ptr<httplib::Server> server, const std::string& address);
  ~HttpServer();

  int port() const { return port_; }

 private:
  explicit HttpServer(std::unique_ptr<httplib::Server> server);

  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::atomic<bool> listen_returned_{false};
  std::thread thread_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_HTTP_HTTP_SERVER_H_
