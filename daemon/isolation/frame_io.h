// Frames on the socket between the daemon and an isolated classifier's
// child process: a 4-byte little-endian payload length, then the payload
// (a serialised isolation/wire.proto message).
//
// Both sides use these. The daemon passes a deadline, so a child that stops
// reading or writing cannot hold a call longer than its time limit, and a
// limit on the payload, so a child cannot make the daemon allocate without
// bound. Writes never raise SIGPIPE.
//
// Thread-compatible: one reader and one writer per descriptor at a time.
#ifndef CLASSIFYD_DAEMON_ISOLATION_FRAME_IO_H_
#define CLASSIFYD_DAEMON_ISOLATION_FRAME_IO_H_

#include <google/protobuf/message_lite.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace classifyd::isolation {

// None: wait as long as it takes.
using Deadline = std::optional<std::chrono::steady_clock::time_point>;

// Frames the child may send the daemon are at most this large.
inline constexpr size_t kMaxChildFrameBytes = 64u << 20;
// The child records at most this many bytes of one call's results (below
// kMaxChildFrameBytes); the reply then says results_too_large.
inline constexpr size_t kMaxRecordedBytes = 32u << 20;
// Frames the daemon sends (a batch of documents) are at most this large.
inline constexpr size_t kMaxHostFrameBytes = 1u << 30;

// Sends `message` as one frame on the stream socket `fd`. Errors:
// DEADLINE_EXCEEDED, UNAVAILABLE (the peer is gone), INTERNAL.
absl::Status WriteFrame(int fd, const google::protobuf::MessageLite& message,
                        const Deadline& deadline);

// Reads one frame from `fd` into `message`. Errors: DEADLINE_EXCEEDED,
// UNAVAILABLE (end of stream: the peer closed or died), RESOURCE_EXHAUSTED
// (a length above `max_bytes`), INVALID_ARGUMENT (not a parsable message).
absl::Status ReadFrame(int fd, size_t max_bytes,
                       google::protobuf::MessageLite* message,
                       const Deadline& deadline);

// Encodes/decodes the frame header; exposed for tests.
std::string EncodeFrameHeader(size_t payload_bytes);
size_t DecodeFrameHeader(const unsigned char header[4]);

}  // namespace classifyd::isolation

#endif  // CLASSIFYD_DAEMON_ISOLATION_FRAME_IO_H_
