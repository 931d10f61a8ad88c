#include "storage/log_config.h"
#include "common/parse.h"

#include <charconv>

namespace ferry::storage {

namespace {

Result<int64_t> parse_long(const std::string& key, const std::string& value) {
  const auto out = parse_integer<int64_t>(value);
  if (!out) {
    return Error(ErrorCode::INVALID_CONFIG, fmt::format("{}: '{}' is not an integer", key, value));
  }
  return *out;
}

}  // namespace

Result<LogConfig> LogConfig::with_overrides(
    const std::map<std::string, std::string>& overrides) const {
  LogConfig c = *this;
  for (const auto& [key, value] : overrides) {
    if (key == "message.timestamp.type") {
      if (value == "CreateTime") {
        c.message_timestamp_type = TimestampType::kCreateTime;
      } else if (value == "LogAppendTime") {
        c.message_timestamp_type = TimestampType::kLogAppendTime;
      } else {
        return Error(ErrorCode::INVALID_CONFIG,
                     fmt::format("{}: '{}' is not CreateTime or LogAppendTime", key, value));
      }
      continue;
    }
    FERRY_ASSIGN_OR_RETURN(const int64_t v, parse_long(key, value));
    if (key == "segment.bytes") {
      c.segment_bytes = v;
    } else if (key == "segment.ms") {
      c.segment_ms = v;
    } else if (key == "retention.ms") {
      c.retention_ms = v;
    } else if (key == "retention.bytes") {
      c.retention_bytes = v;
    } else if (key == "max.message.bytes") {
      c.max_message_bytes = static_cast<int32_t>(v);
    } else if (key == "index.interval.bytes") {
      c.index_interval_bytes = static_cast<int32_t>(v);
    } else {
      return Error(ErrorCode::INVALID_CONFIG, fmt::format("unknown log config key '{}'", key));
    }
  }
  FERRY_TRY(c.validate());
  return c;
}

Status LogConfig::validate() const {
  // Kafka's bounds: at least LegacyRecord.RECORD_OVERHEAD_V0 (14); at most INT32_MAX (an int
  // in Kafka; index positions are int32).
  if (segment_bytes < 14 || segment_bytes > INT32_MAX) {
    return Error(ErrorCode::INVALID_CONFIG,
                 fmt::format("segment.bytes {} is outside [14, {}]", segment_bytes, INT32_MAX));
  }
  if (segment_ms < 1) return Error(ErrorCode::INVALID_CONFIG, "segment.ms must be >= 1");
  if (retention_ms < -1) return Error(ErrorCode::INVALID_CONFIG, "retention.ms must be >= -1");
  if (retention_bytes < -1) {
    return Error(ErrorCode::INVALID_CONFIG, "retention.bytes must be >= -1");
  }
  if (max_message_bytes < 0) {
    return Error(ErrorCode::INVALID_CONFIG, "max.message.bytes must be >= 0");
  }
  if (index_interval_bytes < 0) {
    return Error(ErrorCode::INVALID_CONFIG, "index.interval.bytes must be >= 0");
  }
  return ok_status();
}

}  // namespace ferry::storage
