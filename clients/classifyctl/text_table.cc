#include "text_table.h"

#include <algorithm>
#include <utility>

namespace classifyctl {
namespace {

// Decodes one UTF-8 sequence at text[*i], advancing *i; invalid bytes
// decode as themselves, one byte each.
char32_t NextCodePoint(std::string_view text, size_t* i) {
  const auto byte = [&](size_t k) {
    return static_cast<unsigned char>(text[k]);
  };
  const unsigned char b0 = byte(*i);
  int length = 1;
  char32_t cp = b0;
  if (b0 >= 0xF0 && b0 < 0xF8) {
    length = 4;
    cp = b0 & 0x07;
  } else if (b0 >= 0xE0) {
    length = 3;
    cp = b0 & 0x0F;
  } else if (b0 >= 0xC0) {
    length = 2;
    cp = b0 & 0x1F;
  }
  if (length > 1 && *i + length <= text.size()) {
    bool valid = true;
    for (int k = 1; k < length; ++k) {
      if ((byte(*i + k) & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (byte(*i + k) & 0x3F);
    }
    if (valid) {
      *i += length;
      return cp;
    }
  }
  *i += 1;
  return b0;
}

bool IsWide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) ||
         (c >= 0x3041 && c <= 0x33FF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
         (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
         (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
}

bool IsZeroWidth(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F) ||
         (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF;
}

void AppendPadded(std::string* line, const std::string& text, size_t width) {
  line->append(text);
  for (size_t w = DisplayWidth(text); w < width; ++w) line->push_back(' ');
}

}  // namespace

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  size_t i = 0;
  while (i < text.size()) {
    const char32_t c = NextCodePoint(text, &i);
    if (IsZeroWidth(c)) continue;
    width += IsWide(c) ? 2 : 1;
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
