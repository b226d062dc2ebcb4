#include "text_table.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <utility>

namespace classifyctl {
namespace {

void AppendPadded(std::string* line, const std::string& text, size_t width) {
  line->append(text);
  for (size_t w = DisplayWidth(text); w < width; ++w) line->push_back(' ');
}

}  // namespace

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  int32_t i = 0;
  const auto length = static_cast<int32_t>(text.size());
  while (i < length) {
    UChar32 c;
    U8_NEXT(text.data(), i, length, c);
    if (c < 0) {  // An invalid byte: shown as one replacement character.
      ++width;
      continue;
    }
    switch (u_charType(c)) {
      case U_NON_SPACING_MARK:
      case U_ENCLOSING_MARK:
      case U_FORMAT_CHAR:
        continue;  // Drawn on the previous character, or not at all.
      default:
        break;
    }
    const auto east_asian = static_cast<UEastAsianWidth>(
        u_getIntPropertyValue(c, UCHAR_EAST_ASIAN_WIDTH));
    width += east_asian == U_EA_WIDE || east_asian == U_EA_FULLWIDTH ? 2 : 1;
  }
  return width;
}

TextTable::TextTable(std::vector<std::string> header)
    : header_(std::move(header)) {}

void TextTable::AddRow(std::vector<std::string> cells) {
  cells.resize(header_.size());
  rows_.push_back({std::move(cells), {}});
}

void TextTable::AddNote(std::string note) {
  if (!rows_.empty()) rows_.back().notes.push_back(std::move(note));
}

void TextTable::Print(std::FILE* out) const {
  std::vector<size_t> widths(header_.size());
  for (size_t c = 0; c < header_.size(); ++c) {
    widths[c] = DisplayWidth(header_[c]);
    for (const Row& row : rows_) {
      widths[c] = std::max(widths[c], DisplayWidth(row.cells[c]));
    }
  }
  const auto print_line = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      AppendPadded(&line, cells[c], c + 1 == cells.size() ? 0 : widths[c] + 2);
    }
    // Padding before empty last cells is noise for diff and grep.
    line.erase(line.find_last_not_of(' ') + 1);
    line.push_back('\n');
    std::fputs(line.c_str(), out);
  };
  print_line(header_);
  for (const Row& row : rows_) {
    print_line(row.cells);
    for (const std::string& note : row.notes) {
      std::fprintf(out, "    %s\n", note.c_str());
    }
  }
}

}  // namespace classifyctl
