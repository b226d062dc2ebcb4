// A plain connection to a loopback port or a unix socket, for tests that
// send what a client library would not: half a request, a connection that
// stays idle, an HTTP/2 client that says hello and then nothing more.
// Closed when destroyed.
#ifndef CLASSIFYD_TESTS_TESTING_RAW_CONNECTION_H_
#define CLASSIFYD_TESTS_TESTING_RAW_CONNECTION_H_

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace classifyd::testing {

// What an HTTP/2 client sends first: its preface and an empty SETTINGS
// frame. A connection that sends this and then neither reads nor writes is
// a gRPC client that has stalled or been stopped, which never answers the
// ping a server's shutdown sends.
inline constexpr std::string_view kHttp2ClientHello(
    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    "\x00\x00\x00\x04\x00\x00\x00\x00\x00",
    24 + 9);

class RawConnection {
 public:
  explicit RawConnection(int port);
  // A connection to the unix socket at `path`.
  explicit RawConnection(const std::string& path);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  void Send(std::string_view bytes) { ASSERT_TRUE(TrySend(bytes)); }
  bool TrySend(std::string_view bytes);
  // What the server sent until it sent `end` or closed the connection
  // (waits up to 30 s).
  std::string ReceiveUntil(const std::string& end);
  // True once the server has sent something (waits up to 30 s).
  bool ReceivedAny();
  // True once the server has closed the connection (waits up to 30 s).
  bool ClosedByServer();

 private:
  // Connects fd_ to `address` (a sockaddr_in or sockaddr_un).
  template <typename Address>
  void Connect(const Address& address);

  int fd_;
  bool connected_ = false;
};

}  // namespace classifyd::testing

#endif  // CLASSIFYD_TESTS_TESTING_RAW_CONNECTION_H_
