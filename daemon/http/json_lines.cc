#include "http/json_lines.h"

namespace classifyd {
namespace {

bool Blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

}  // namespace

std::vector<JsonLineSplitter::Line> JsonLineSplitter::Feed(
    std::string_view bytes) {
  std::vector<Line> lines;
  while (!bytes.empty()) {
    const size_t newline = bytes.find('\n');
    const std::string_view piece = bytes.substr(0, newline);
    if (!overflowed_) {
      if (partial_.size() + piece.size() > max_line_bytes_) {
        overflowed_ = true;
        partial_.clear();
        partial_.shrink_to_fit();
      } else {
        partial_.append(piece);
      }
    }
    if (newline == std::string_view::npos) break;
    EndLine(&lines);
    bytes.remove_prefix(newline + 1);
  }
  return lines;
}

std::vector<JsonLineSplitter::Line> JsonLineSplitter::Finish() {
  std::vector<Line> lines;
  EndLine(&lines);
  return lines;
}

void JsonLineSplitter::EndLine(std::vector<Line>* lines) {
  if (overflowed_) {
    lines->push_back(Line{"", true});
  } else if (!Blank(partial_)) {
    if (partial_.ends_with('\r')) partial_.pop_back();
    lines->push_back(Line{std::move(partial_), false});
  }
  partial_.clear();
  overflowed_ = false;
}

}  // namespace classifyd
