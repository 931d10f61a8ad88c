// Records as the console tools read and print them (pure functions, no I/O).
//
// Producing (kafka-console-producer habits):
//  * stdin is split into lines at '\n'; a '\r' before the '\n' is dropped; a last line without
//    a newline still counts; the newline is never part of the value;
//  * `-k KEY` gives every record that key; `--parse-key` splits each line at the FIRST key
//    separator (default '\t') into key and value; a line without the separator is an error for
//    that line (`_BAD_MSG`), which is reported and skipped.
//
// Printing (kafka-console-consumer's DefaultMessageFormatter): the enabled fields in the order
//   CreateTime:<ms> | LogAppendTime:<ms> | NO_TIMESTAMP,  Partition:<n>,  Offset:<n>,
//   headers (k:v,k2:v2 or NO_HEADERS),  key,  value
// each followed by the key separator except the value, which is followed by '\n'. A null key,
// value or header value prints as `null`. Bytes are written as they are (binary values stay
// binary); `--format json` gives one JSON object per record instead (json.h escaping).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/json.h"
#include "common/error.h"

namespace ferry::cli {

// Splits a byte stream into lines (see above). Not thread-safe.
class LineSplitter {
 public:
  void feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next complete line, without its terminator; nullopt when none is complete yet.
  std::optional<std::string> next_line();
  // At end of input: the unterminated rest, if any.
  std::optional<std::string> finish();

 private:
  std::string buffer_;
  size_t scan_from_ = 0;
};

struct KeyMode {
  enum class Kind { kNone, kFixed, kParse };
  Kind kind = Kind::kNone;
  std::string fixed_key;         // kFixed
  std::string separator = "\t";  // kParse
};

struct LineRecord {
  std::optional<std::string> key;  // nullopt: a null key
  std::string value;
};

// Errors: librdkafka's `_BAD_MSG` (local) when --parse-key finds no separator.
Result<LineRecord> record_from_line(std::string_view line, const KeyMode& mode);

enum class TimestampType { kNone, kCreateTime, kLogAppendTime };

using Header = std::pair<std::string, std::optional<std::string>>;

struct ConsumedRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  TimestampType timestamp_type = TimestampType::kNone;
  int64_t timestamp_ms = -1;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<Header> headers;
};

struct PrintOptions {
  bool timestamp = false;
  bool partition = false;
  bool offset = false;
  bool headers = false;
  bool key = false;
  std::string separator = "\t";
};

// One record as text, ending in '\n'.
std::string format_record_text(const ConsumedRecord& record, const PrintOptions& options);
// {"topic":..,"partition":..,"offset":..,"timestamp":..,"timestamp_type":..,"key":..,
//  "value":..,"headers":[{"key":..,"value":..},...]}; timestamp_type is "CreateTime",
// "LogAppendTime" or null (then timestamp is null too).
Json record_json(const ConsumedRecord& record);

}  // namespace ferry::cli
