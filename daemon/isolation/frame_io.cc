#include "isolation/frame_io.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace classifyd::isolation {
namespace {

// Waits until `fd` is ready for `events` or the deadline passes.
absl::Status WaitReady(int fd, short events, const Deadline& deadline) {
  for (;;) {
    int wait_ms = -1;
    if (deadline.has_value()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return absl::DeadlineExceededError("no answer within the time limit");
      }
      wait_ms = static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
    }
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, wait_ms);
    if (n > 0) return absl::OkStatus();
    if (n < 0 && errno != EINTR) {
      return absl::InternalError(std::string("poll: ") + strerror(errno));
    }
  }
}

absl::Status WriteAll(int fd, const char* data, size_t size,
                      const Deadline& deadline) {
  while (size > 0) {
    if (absl::Status ready = WaitReady(fd, POLLOUT, deadline); !ready.ok()) {
      return ready;
    }
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == EPIPE || errno == ECONNRESET) {
        return absl::UnavailableError("the peer closed the connection");
      }
      return absl::InternalError(std::string("send: ") + strerror(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status ReadAll(int fd, char* data, size_t size,
                     const Deadline& deadline) {
  while (size > 0) {
    if (absl::Status ready = WaitReady(fd, POLLIN, deadline); !ready.ok()) {
      return ready;
    }
    const ssize_t n = recv(fd, data, size, MSG_DONTWAIT);
    if (n == 0) return absl::UnavailableError("the peer closed the connection");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ECONNRESET) {
        return absl::UnavailableError("the peer closed the connection");
      }
      return absl::InternalError(std::string("recv: ") + strerror(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncodeFrameHeader(size_t payload_bytes) {
  std::string header(4, '\0');
  for (int i = 0; i < 4; ++i) {
    header[i] = static_cast<char>((payload_bytes >> (8 * i)) & 0xff);
  }
  return header;
}

size_t DecodeFrameHeader(const unsigned char header[4]) {
  size_t size = 0;
  for (int i = 0; i < 4; ++i) size |= static_cast<size_t>(header[i]) << (8 * i);
  return size;
}

absl::Status WriteFrame(int fd, const google::protobuf::MessageLite& message,
                        const Deadline& deadline) {
  const size_t size = message.ByteSizeLong();
  if (size > kMaxHostFrameBytes) {
    return absl::ResourceExhaustedError("message of " + std::to_string(size) +
                                        " bytes is too large to send");
  }
  std::string frame = EncodeFrameHeader(size);
  if (!message.AppendToString(&frame)) {
    return absl::InternalError("cannot serialise the message");
  }
  return WriteAll(fd, frame.data(), frame.size(), deadline);
}

absl::Status ReadFrame(int fd, size_t max_bytes,
                       google::protobuf::MessageLite* message,
                       const Deadline& deadline) {
  unsigned char header[4];
  if (absl::Status s =
          ReadAll(fd, reinterpret_cast<char*>(header), sizeof header, deadline);
      !s.ok()) {
    return s;
  }
  const size_t size = DecodeFrameHeader(header);
  if (size > max_bytes) {
    return absl::ResourceExhaustedError(
        "a message of " + std::to_string(size) + " bytes (at most " +
        std::to_string(max_bytes) + " allowed)");
  }
  std::string payload(size, '\0');
  if (absl::Status s = ReadAll(fd, payload.data(), size, deadline); !s.ok()) {
    return s;
  }
  if (!message->ParseFromString(payload)) {
    return absl::InvalidArgumentError("a message that does not parse");
  }
  return absl::OkStatus();
}

}  // namespace classifyd::isolation
