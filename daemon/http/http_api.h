// The HTTP/JSON API (--http-listen): the Classifier service's calls as
// JSON over HTTP, for clients without gRPC (a CMS, a shell with curl, a
// browser), plus the web console. Bodies are the proto messages in
// protobuf's canonical JSON mapping, so every field means what it means
// over gRPC; the documents go through the same engine and limits.
//
//   POST /v1/classify              ClassifyRequest -> ClassifyResponse
//   POST /v1/classify:batch        ClassifyBatchRequest -> ClassifyBatchResponse
//   POST /v1/classify:stream       JSON Lines of ClassifyRequest in,
//                                  ClassifyResponse lines out, in order
//   GET  /v1/classifiers           ListPluginsResponse
//   GET  /v1/classifiers/{name}    PluginInfo
//   GET  /v1/classifiers/{name}/ready   per-classifier health
//   GET  /healthz, /readyz         liveness, readiness
//   GET  /                         the web console (http/console_page.h)
//
// A failed call answers {"error": {"code": "NOT_FOUND", "message": ...}}
// with the HTTP status of its gRPC code (http/api_status.h).
//
// Thread-safe: handlers run on the listener's thread pool, concurrently.
#ifndef CLASSIFYD_DAEMON_HTTP_HTTP_API_H_
#define CLASSIFYD_DAEMON_HTTP_HTTP_API_H_

#include <absl/status/statusor.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "metrics/metrics.h"
#include "registry/classifier_registry.h"
#include "server/tls_credentials.h"
#include "service/call_tracker.h"
#include "service/classify_engine.h"

namespace httplib {
class Server;
class Request;
class Response;
class ContentReader;
}  // namespace httplib

namespace classifyd {

struct HttpApiOptions {
  // Largest request body of /v1/classify and :batch (and of a :stream sent
  // with Content-Length rather than chunked); larger ones get 413.
  size_t max_body_bytes = 64 << 20;
  // Threads serving connections. A connection holds one while a request
  // is read, classified and answered, and while it idles between requests
  // (at most 5 s). A connection that has sent nothing holds none.
  int threads = 16;
  // How long one read of a request (a header line, a piece of the body)
  // may wait for the client; a slower client is disconnected.
  std::chrono::milliseconds read_timeout{10'000};
  // Most :stream requests at once; more get 429, so streams cannot take
  // every thread from the short calls.
  int max_streams = 8;
};

class HttpApi {
 public:
  // `engine`, `registry` and `metrics` (null: the console shows no call
  // figures) must outlive the API and every server it is added to.
  HttpApi(const ClassifyEngine* engine, const ClassifierRegistry* registry,
          Metrics* metrics, HttpApiOptions options);

  // A server with the API's routes, thread pool, timeouts and limits,
  // speaking TLS when `tls` is enabled (same files as the gRPC listener;
  // read once at start). FAILED_PRECONDITION if TLS cannot be set up.
  absl::StatusOr<std::unique_ptr<httplib::Server>> MakeServer(
      const TlsSettings& tls) const;

  // Call once the server made by MakeServer() listens: lets more
  // connections wait for accept() than httplib's default allows.
  void RaiseBacklog() const;

  // Shutdown: /readyz answers 503 and new streams are refused from now on.
  void StartDraining();
  // Waits until the :stream requests in flight have ended or `deadline`
  // passes; the number still open (0: none).
  int WaitForStreams(std::chrono::steady_clock::time_point deadline);
  // Ends the :stream requests still open, at the end of the drain: each
  // stops at the next piece of body it reads (or when a read times out)
  // and its connection is closed without the response's last chunk.
  void EndStreams();

 private:
  void AddRoutes(httplib::Server* server) const;
  void Classify(const httplib::Request& req, httplib::Response& res) const;
  void ClassifyBatch(const httplib::Request& req,
                     httplib::Response& res) const;
  void ClassifyStream(const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader& reader) const;
  void ListClassifiers(httplib::Response& res) const;
  void GetClassifier(const std::string& name, httplib::Response& res) const;
  void ClassifierReady(const std::string& name, httplib::Response& res) const;
  void Readyz(httplib::Response& res) const;
  void ConsoleStats(httplib::Response& res) const;

  const ClassifyEngine* const engine_;
  const ClassifierRegistry* const registry_;
  Metrics* const metrics_;
  const HttpApiOptions options_;
  // The :stream requests in flight, shared with their response writers.
  struct OpenStreams {
    // Bounded by options_.max_streams; draining() is the listener's.
    CallTracker calls;
    std::atomic<bool> ending{false};
  };
  std::shared_ptr<OpenStreams> streams_ = std::make_shared<OpenStreams>();
  // The listening socket, once MakeServer()'s server has made it.
  std::shared_ptr<int> listen_fd_ = std::make_shared<int>(-1);
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_HTTP_HTTP_API_H_
