// Reads lines from a file descriptor with one large buffer and no copy per
// line: `stream` and `eval` read millions of lines, and iostream getline
// would cost more than the JSON parsing. Memory stays bounded: a line
// longer than the limit is skipped (reported, not buffered).
#ifndef CLASSIFYD_CLIENTS_CLASSIFYCTL_LINE_READER_H_
#define CLASSIFYD_CLIENTS_CLASSIFYCTL_LINE_READER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace classifyctl {

class LineReader {
 public:
  enum class Result {
    kLine,         // *line holds the next line.
    kTooLong,      // The next line exceeded the limit and was skipped.
    kEnd,          // No more input.
    kError,        // read() failed; see error().
    kInterrupted,  // `interrupt_fd` became readable while waiting.
  };

  // Does not take ownership of `fd`. If `interrupt_fd` is given, a read
  // that would wait for input (a quiet pipe or terminal) gives up as soon
  // as that descriptor becomes readable: the consumer has stopped and the
  // input may never end.
  LineReader(int fd, size_t max_line_bytes, int interrupt_fd = -1);

  // The next line without its "\n" or "\r\n". The view is valid until the
  // next call. A last line without a newline is still a line.
  Result Next(std::string_view* line);

  // Lines returned so far, kTooLong ones included: the line number of the
  // last one.
  uint64_t line_number() const { return line_number_; }
  // errno of the failed read.
  int error() const { return error_; }

 private:
  // Reads more into the buffer; false at end of input or on error.
  bool Fill();

  const int fd_;
  const size_t max_line_bytes_;
  const int interrupt_fd_;
  std::vector<char> buffer_;
  size_t begin_ = 0;    // First unconsumed byte.
  size_t end_ = 0;      // One past the last byte read.
  size_t scanned_ = 0;  // [begin_, scanned_) holds no newline.
  bool eof_ = false;
  bool interrupted_ = false;
  int error_ = 0;
  uint64_t line_number_ = 0;
};

}  // namespace classifyctl

#endif  // CLASSIFYD_CLIENTS_CLASSIFYCTL_LINE_READER_H_
