#include "testing/silent_http2_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace classifyd::testing {

SilentHttp2Connection::SilentHttp2Connection(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  static constexpr char kHello[] =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
      "\x00\x00\x00\x04\x00\x00\x00\x00\x00";  // An empty SETTINGS frame.
  if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) !=
          0 ||
      write(fd_, kHello, sizeof kHello - 1) != sizeof kHello - 1) {
    close(fd_);
    fd_ = -1;
  }
}

SilentHttp2Connection::~SilentHttp2Connection() {
  if (fd_ >= 0) close(fd_);
}

bool SilentHttp2Connection::WaitForServer() {
  char frame_header[9];
  return fd_ >= 0 && read(fd_, frame_header, sizeof frame_header) > 0;
}

}  // namespace classifyd::testing
