// A small JSON value for `--format json` output: build a tree, serialise it compactly.
//
// Output is always valid JSON (RFC 8259):
//  * strings are escaped: `"` and `\` get a backslash, control characters U+0000..U+001F use
//    the short escapes (\n \r \t \b \f) or \u00XX;
//  * the input bytes of a string are taken as UTF-8; bytes that are not well-formed UTF-8
//    (stray continuation bytes, truncated or overlong sequences, surrogates, > U+10FFFF) are
//    replaced by U+FFFD, one per bad byte, so binary record keys and values still give valid
//    JSON (the README says the conversion is lossy for such bytes);
//  * object members keep insertion order (stable, diff-friendly output).
//
// Not thread-safe; plain value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ferry::cli {

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() : value_(nullptr) {}                           // null
  Json(std::nullptr_t) : value_(nullptr) {}             // NOLINT(implicit)
  Json(bool b) : value_(b) {}                           // NOLINT(implicit)
  Json(int v) : value_(static_cast<int64_t>(v)) {}      // NOLINT(implicit)
  Json(int64_t v) : value_(v) {}                        // NOLINT(implicit)
  Json(std::string s) : value_(std::move(s)) {}         // NOLINT(implicit)
  Json(std::string_view s) : value_(std::string(s)) {}  // NOLINT(implicit)
  Json(const char* s) : value_(std::string(s)) {}       // NOLINT(implicit)

  static Json array() { return Json(Array{}); }
  static Json object() { return Json(Object{}); }
  // A string, or null when absent (nullable Kafka fields: record keys, config values).
  static Json optional_string(const std::optional<std::string>& s) {
    return s ? Json(*s) : Json(nullptr);
  }

  // Appends to an array. Precondition: this is an array.
  Json& push(Json element);
  // Appends a member to an object (no duplicate check). Precondition: this is an object.
  Json& set(std::string key, Json value);

  bool is_null() const { return std::holds_alternative<std::nullptr_t>(value_); }

  // Compact serialisation (no whitespace), e.g. {"a":[1,"x\n"]}.
  std::string dump() const;
  void dump_to(std::string& out) const;

 private:
  explicit Json(Array a) : value_(std::move(a)) {}
  explicit Json(Object o) : value_(std::move(o)) {}

  std::variant<std::nullptr_t, bool, int64_t, std::string, Array, Object> value_;
};

// Appends `s` as a quoted, escaped JSON string (see the rules above) to `out`.
void append_json_string(std::string& out, std::string_view s);

}  // namespace ferry::cli
