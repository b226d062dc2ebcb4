#include "testing/raw_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>

namespace classifyd::testing {

namespace {

constexpr int kPatienceMs = 30'000;

}  // namespace

RawConnection::RawConnection(int port)
    : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Connect(address);
}

RawConnection::RawConnection(const std::string& path)
    : fd_(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) return;
  path.copy(address.sun_path, path.size());
  Connect(address);
}

template <typename Address>
void RawConnection::Connect(const Address& address) {
  connected_ =
      fd_ >= 0 && connect(fd_, reinterpret_cast<const sockaddr*>(&address),
                          sizeof(address)) == 0;
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

bool RawConnection::TrySend(std::string_view bytes) {
  return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
         static_cast<ssize_t>(bytes.size());
}

std::string RawConnection::ReceiveUntil(const std::string& end) {
  std::string received;
  pollfd p{fd_, POLLIN, 0};
  char buffer[4096];
  while (received.find(end) == std::string::npos &&
         poll(&p, 1, kPatienceMs) == 1) {
    const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    received.append(buffer, static_cast<size_t>(n));
  }
  return received;
}

bool RawConnection::ReceivedAny() {
  pollfd p{fd_, POLLIN, 0};
  char buffer[4096];
  return poll(&p, 1, kPatienceMs) == 1 &&
         recv(fd_, buffer, sizeof(buffer), 0) > 0;
}

bool RawConnection::ClosedByServer() {
  pollfd p{fd_, POLLIN, 0};
  char buffer[4096];
  while (poll(&p, 1, kPatienceMs) == 1) {
    if (recv(fd_, buffer, sizeof(buffer), 0) <= 0) return true;
  }
  return false;
}

}  // namespace classifyd::testing
