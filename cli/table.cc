#include "cli/table.h"

#include <algorithm>

#include "common/assert.h"

namespace ferry::cli {

size_t display_width(std::string_view s) {
  size_t width = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string printable_cell(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7F) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

void Table::add_row(std::vector<std::string> row) {
  size_t columns = header_.empty() ? 2 : header_.size();
  FERRY_ASSERT(row.size() == columns, "table row has {} cells, expected {}", row.size(), columns);
  for (auto& cell : row)
    cell = printable_cell(cell);
  rows_.push_back(std::move(row));
}

std::string Table::render() const {
  std::vector<std::vector<std::string>> lines;
  if (!header_.empty()) lines.push_back(header_);
  lines.insert(lines.end(), rows_.begin(), rows_.end());
  if (lines.empty()) return "";
  size_t columns = lines.front().size();
  std::vector<size_t> widths(columns, 0);
  for (const auto& line : lines) {
    for (size_t c = 0; c < columns; ++c)
      widths[c] = std::max(widths[c], display_width(line[c]));
  }
  std::string out;
  for (const auto& line : lines) {
    std::string text;
    for (size_t c = 0; c < columns; ++c) {
      text += line[c];
      if (c + 1 < columns) text.append(widths[c] - display_width(line[c]) + 2, ' ');
    }
    // A trailing empty cell would leave blanks behind.
    while (!text.empty() && text.back() == ' ')
      text.pop_back();
    out += text;
    out += '\n';
  }
  return out;
}

std::string section_title(std::string_view title) {
  std::string out(title);
  out += '\n';
  out.append(display_width(title), '=');
  out += '\n';
  return out;
}

}  // namespace ferry::cli
