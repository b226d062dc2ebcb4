// Splits a byte stream that arrives in arbitrary pieces into lines (JSON
// Lines: one document per line, '\n' or "\r\n" ends it), holding at most
// one line of `max_line_bytes` in memory: a longer line is reported as
// too long, and its bytes are dropped as they arrive.
//
// Thread-compatible: one splitter per stream.
#ifndef CLASSIFYD_DAEMON_HTTP_JSON_LINES_H_
#define CLASSIFYD_DAEMON_HTTP_JSON_LINES_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace classifyd {

class JsonLineSplitter {
 public:
  struct Line {
    std::string text;        // Without its line ending.
    bool too_long = false;   // Over max_line_bytes; `text` is empty.
  };

  explicit JsonLineSplitter(size_t max_line_bytes)
      : max_line_bytes_(max_line_bytes) {}

  // Appends `bytes`; the lines they complete, in order. Blank lines (only
  // spaces, tabs or '\r') are skipped.
  std::vector<Line> Feed(std::string_view bytes);

  // The last line if the stream ended without a line ending; empty (no
  // line) otherwise.
  std::vector<Line> Finish();

 private:
  void EndLine(std::vector<Line>* lines);

  const size_t max_line_bytes_;
  std::string partial_;
  bool overflowed_ = false;  // The current line is past the limit.
};

}  // namespace classifyd

#endif  // CLASSIFYD_DAEMON_HTTP_JSON_LINES_H_
