// A plaintext HTTP/2 connection to 127.0.0.1 that says hello (the client
// preface and an empty SETTINGS frame) and then neither reads nor writes:
// a gRPC client that has stalled or been stopped, which never answers the
// ping a server's shutdown sends. Closed when destroyed.
#ifndef CLASSIFYD_TESTS_TESTING_SILENT_HTTP2_CONNECTION_H_
#define CLASSIFYD_TESTS_TESTING_SILENT_HTTP2_CONNECTION_H_

namespace classifyd::testing {

class SilentHttp2Connection {
 public:
  // Connects to `port` and says hello; connected() tells whether it could.
  explicit SilentHttp2Connection(int port);
  ~SilentHttp2Connection();
  SilentHttp2Connection(const SilentHttp2Connection&) = delete;
  SilentHttp2Connection& operator=(const SilentHttp2Connection&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Reads the server's first frame, once: true when the server has taken
  // the connection.
  bool WaitForServer();

 private:
  int fd_ = -1;
};

}  // namespace classifyd::testing

#endif  // CLASSIFYD_TESTS_TESTING_SILENT_HTTP2_CONNECTION_H_
