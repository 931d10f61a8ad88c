#include "cli/record_format.h"

#include <librdkafka/rdkafka.h>

#include <fmt/format.h>

namespace ferry::cli {

std::optional<std::string> LineSplitter::next_line() {
  size_t newline = buffer_.find('\n', scan_from_);
  if (newline == std::string::npos) {
    scan_from_ = buffer_.size();
    return std::nullopt;
  }
  size_t end = newline;
  if (end > 0 && buffer_[end - 1] == '\r') --end;
  std::string line = buffer_.substr(0, end);
  buffer_.erase(0, newline + 1);
  scan_from_ = 0;
  return line;
}

std::optional<std::string> LineSplitter::finish() {
  if (buffer_.empty()) return std::nullopt;
  std::string rest = std::move(buffer_);
  buffer_.clear();
  scan_from_ = 0;
  return rest;
}

Result<LineRecord> record_from_line(std::string_view line, const KeyMode& mode) {
  switch (mode.kind) {
    case KeyMode::Kind::kNone:
      return LineRecord{std::nullopt, std::string(line)};
    case KeyMode::Kind::kFixed:
      return LineRecord{mode.fixed_key, std::string(line)};
    case KeyMode::Kind::kParse:
      break;
  }
  size_t at = line.find(mode.separator);
  if (at == std::string_view::npos) {
    return Error(static_cast<ErrorCode>(RD_KAFKA_RESP_ERR__BAD_MSG),
                 "no key separator found (--parse-key)");
  }
  return LineRecord{std::string(line.substr(0, at)),
                    std::string(line.substr(at + mode.separator.size()))};
}

namespace {

std::string_view timestamp_type_name(TimestampType type) {
  switch (type) {
    case TimestampType::kCreateTime:
      return "CreateTime";
    case TimestampType::kLogAppendTime:
      return "LogAppendTime";
    case TimestampType::kNone:
      break;
  }
  return "NO_TIMESTAMP";
}

std::string_view or_null(const std::optional<std::string>& s) {
  return s ? std::string_view(*s) : std::string_view("null");
}

}  // namespace

std::string format_record_text(const ConsumedRecord& record, const PrintOptions& options) {
  std::string out;
  const std::string& sep = options.separator;
  if (options.timestamp) {
    out += timestamp_type_name(record.timestamp_type);
    if (record.timestamp_type != TimestampType::kNone) {
      out += ':';
      out += std::to_string(record.timestamp_ms);
    }
    out += sep;
  }
  if (options.partition) out += fmt::format("Partition:{}{}", record.partition, sep);
  if (options.offset) out += fmt::format("Offset:{}{}", record.offset, sep);
  if (options.headers) {
    if (record.headers.empty()) out += "NO_HEADERS";
    for (size_t i = 0; i < record.headers.size(); ++i) {
      if (i > 0) out += ',';
      out += record.headers[i].first;
      out += ':';
      out += or_null(record.headers[i].second);
    }
    out += sep;
  }
  if (options.key) {
    out += or_null(record.key);
    out += sep;
  }
  out += or_null(record.value);
  out += '\n';
  return out;
}

Json record_json(const ConsumedRecord& record) {
  Json json = Json::object();
  json["topic"] = record.topic;
  json["partition"] = static_cast<int64_t>(record.partition);
  json["offset"] = record.offset;
  bool has_timestamp = record.timestamp_type != TimestampType::kNone;
  json["timestamp"] = has_timestamp ? Json(record.timestamp_ms) : Json();
  json["timestamp_type"] =
      has_timestamp ? Json(timestamp_type_name(record.timestamp_type)) : Json();
  json["key"] = optional_string(record.key);
  json["value"] = optional_string(record.value);
  Json headers = Json::array();
  for (const auto& [name, value] : record.headers) {
    Json header = Json::object();
    header["key"] = name;
    header["value"] = optional_string(value);
    headers.push_back(std::move(header));
  }
  json["headers"] = std::move(headers);
  return json;
}

}  // namespace ferry::cli
