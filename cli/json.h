// JSON for `--format json` output: nlohmann::ordered_json (object members keep insertion order,
// so output is stable and diff-friendly), serialised compactly by dump_json().
//
// Output is always valid JSON (RFC 8259): strings are escaped (quote, backslash, control
// characters as \n \r \t \b \f or \u00XX), and bytes that are not well-formed UTF-8 (binary
// record keys and values) are replaced by U+FFFD, so the conversion is lossy for such bytes (the
// README says so). Binary-safe output is `--format text` with the escapes of record_format.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ferry::cli {

using Json = nlohmann::ordered_json;

// A string, or null when absent (nullable Kafka fields: record keys, config values).
Json optional_string(const std::optional<std::string>& s);

// Compact serialisation (no whitespace), e.g. {"a":[1,"x\n"]}, with U+FFFD for invalid UTF-8.
std::string dump_json(const Json& json);

// Appends `s` as a quoted, escaped JSON string (same rules) to `out`.
void append_json_string(std::string& out, std::string_view s);

}  // namespace ferry::cli
