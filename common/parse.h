// Non-throwing number parsing for text a user, a file or the network controls (config values,
// file names, topic configs). std::sto* throw on bad or out-of-range input and must not be used
// on such text: an exception escaping a handler or a log-open path would take ferryd down.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <type_traits>

namespace ferry {

// The integer `text` spells in base 10, or nullopt when it is empty, has anything besides an
// optional leading '-' and digits, or does not fit in T.
template <typename T>
requires std::is_integral_v<T> std::optional<T> parse_integer(std::string_view text) {
  T value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// The same, into `out` (left unchanged on failure); true on success.
template <typename T>
requires std::is_integral_v<T>
bool parse_integer(std::string_view text, T& out) {
  const auto value = parse_integer<T>(text);
  if (value) out = *value;
  return value.has_value();
}

}  // namespace ferry
