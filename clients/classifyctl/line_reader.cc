#include "line_reader.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace classifyctl {
namespace {
constexpr size_t kReadChunk = 1 << 20;
}  // namespace

LineReader::LineReader(int fd, size_t max_line_bytes, int interrupt_fd)
    : fd_(fd), max_line_bytes_(max_line_bytes), interrupt_fd_(interrupt_fd) {
  buffer_.resize(std::min(max_line_bytes_ + 1, kReadChunk) + kReadChunk);
}

bool LineReader::Fill() {
  if (eof_ || error_ != 0 || interrupted_) return false;
  if (begin_ > 0) {  // Move the partial line to the front.
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    scanned_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() - end_ < kReadChunk / 2) {
    buffer_.resize(buffer_.size() + kReadChunk);
  }
  for (;;) {
    if (interrupt_fd_ >= 0) {
      pollfd fds[2] = {{fd_, POLLIN, 0}, {interrupt_fd_, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        error_ = errno;
        return false;
      }
      if (fds[1].revents != 0) {
        interrupted_ = true;
        return false;
      }
    }
    const ssize_t n = read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno != EINTR) {
      error_ = errno;
      return false;
    }
  }
}

LineReader::Result LineReader::Next(std::string_view* line) {
  bool skipping = false;  // Inside a line over the limit.
  for (;;) {
    const char* start = buffer_.data() + scanned_;
    const void* newline = std::memchr(start, '\n', end_ - scanned_);
    if (newline != nullptr) {
      const size_t at = static_cast<const char*>(newline) - buffer_.data();
      size_t length = at - begin_;
      const size_t line_begin = begin_;
      begin_ = scanned_ = at + 1;
      ++line_number_;
      if (skipping || length > max_line_bytes_) return Result::kTooLong;
      if (length > 0 && buffer_[line_begin + length - 1] == '\r') --length;
      *line = std::string_view(buffer_.data() + line_begin, length);
      return Result::kLine;
    }
    scanned_ = end_;
    if (end_ - begin_ > max_line_bytes_) {
      // Over the limit with no end in sight: drop what we have and keep
      // looking for the newline without buffering.
      skipping = true;
      begin_ = scanned_ = end_ = 0;
    }
    if (!Fill()) {
      if (error_ != 0) return Result::kError;
      if (interrupted_) return Result::kInterrupted;
      if (end_ > begin_ || skipping) {  // A last line without a newline.
        const size_t line_begin = begin_;
        size_t length = end_ - begin_;
        begin_ = scanned_ = end_;
        ++line_number_;
        if (skipping || length > max_line_bytes_) return Result::kTooLong;
        if (length > 0 && buffer_[line_begin + length - 1] == '\r') --length;
        *line = std::string_view(buffer_.data() + line_begin, length);
        return Result::kLine;
      }
      return Result::kEnd;
    }
  }
}

}  // namespace classifyctl
