// The daemon's optional HTTP listeners (cpp-httplib): the Prometheus
// /metrics endpoint, and the HTTP/JSON API (http/http_api.h). Each serves
// on its own thread pool, apart from gRPC's, so a slow scraper never takes
// a classification thread.
//
// Thread-safe. The destructor stops the listener, ends its kept-alive
// connections that wait for a next request (one being served still gets
// its response) and joins its threads.
#ifndef CLASSIFYD_DAEMON_HTTP_HTTP_SERVER_H_
#define CLASSIFYD_DAEMON_HTTP_HTTP_SERVER_H_

#include <absl/status/statusor.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
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
  // thread pool and socket options. Fails like the Start above. Takes the
  // server's pre-routing handler and logger (to know which connections
  // are serving a request).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      std::unique_ptr<httplib::Server> server, const std::string& address);
  ~HttpServer();

  int port() const { return port_; }

 private:
  explicit HttpServer(std::unique_ptr<httplib::Server> server);

  // Ends, for reading, the connections accepted on port_ that no request
  // is being served on.
  void EndIdleConnections();

  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::mutex mu_;
  // The peer ("address port") each of the listener's threads is serving a
  // request from, from its headers until its response is written. Keyed
  // by thread, a request whose response is never written (the client
  // left) is forgotten at the thread's next request.
  std::map<std::thread::id, std::string> serving_;
  std::atomic<bool> listen_returned_{false};
  std::thread thread_;
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_HTTP_HTTP_SERVER_H_
