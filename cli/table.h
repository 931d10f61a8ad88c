// Aligned text tables, the default output of every command (rpk's look):
//
//   NAME    PARTITIONS  REPLICAS
//   orders  6           3
//
// Columns are left-aligned and separated by two spaces; widths count UTF-8 code points (not
// bytes) so non-ASCII names line up; the last column is not padded (no trailing blanks). A
// table without rows still prints its header. Cells are printed as given, except that control
// characters (newline, tab, ...) are shown as `\n`, `\t`, `\xNN` so one row stays one line.
//
// Also `KeyValueTable` style output via `Table::key_values()` (two columns, no header), used
// for summaries ("NAME  orders").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  // A header-less two-column table for "KEY  VALUE" summaries.
  static Table key_values() { return Table(); }

  // Precondition: row has as many cells as the header (or 2 for key_values tables).
  void add_row(std::vector<std::string> row);
  size_t row_count() const { return rows_.size(); }

  // The rendered table, every line ending in '\n'.
  std::string render() const;

 private:
  Table() = default;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// A section title as rpk prints it ("CONFIGS\n=======\n").
std::string section_title(std::string_view title);

// `s` with control characters made visible (see above); everything else unchanged.
std::string printable_cell(std::string_view s);

// Number of UTF-8 code points in `s` (continuation bytes are not counted).
size_t display_width(std::string_view s);

}  // namespace ferry::cli
