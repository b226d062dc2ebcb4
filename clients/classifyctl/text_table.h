// Aligned plain-text tables for humans. Labels, evidence and classifier
// names are often Chinese, and a CJK character takes two terminal columns,
// so columns are padded by display width rather than by bytes.
#ifndef CLASSIFYD_CLIENTS_CLASSIFYCTL_TEXT_TABLE_H_
#define CLASSIFYD_CLIENTS_CLASSIFYCTL_TEXT_TABLE_H_

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace classifyctl {

// Terminal columns `text` (UTF-8) occupies: 2 for characters whose
// Unicode East Asian Width is Wide or Fullwidth, 0 for combining marks and
// format characters, 1 otherwise (as ICU's character properties say).
size_t DisplayWidth(std::string_view text);

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);

  void AddRow(std::vector<std::string> cells);
  // A line printed under the last row, not aligned (e.g. an error message).
  void AddNote(std::string note);
  bool empty() const { return rows_.empty(); }

  // Columns separated by two spaces; the last column is not padded.
  void Print(std::FILE* out) const;

 private:
  struct Row {
    std::vector<std::string> cells;
    std::vector<std::string> notes;
  };
  std::vector<std::string> header_;
  std::vector<Row> rows_;
};

}  // namespace classifyctl

#endif  // CLASSIFYD_CLIENTS_CLASSIFYCTL_TEXT_TABLE_H_
