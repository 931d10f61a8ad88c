#include "storage/log_config.h"
#include "common/parse.h"

#include <charconv>
#include <cstdlib>
#include <tuple>
#include <utility>

namespace ferry::storage {

namespace {

Result<int64_t> parse_long(const std::string& key, const std::string& value) {
  const auto out = parse_integer<int64_t>(value);
  if (!out) {
    return Error(ErrorCode::INVALID_CONFIG, fmt::format("{}: '{}' is not an integer", key, value));
  }
  return *out;
}

// "delete", "compact", "compact,delete" (any order, spaces allowed): (delete, compact).
Result<std::pair<bool, bool>> parse_cleanup_policy(const std::string& value) {
  bool del = false;
  bool compact = false;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    std::string item = value.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item == "delete") {
      del = true;
    } else if (item == "compact") {
      compact = true;
    } else {
      return Error(ErrorCode::INVALID_CONFIG,
                   fmt::format("cleanup.policy: '{}' is not delete or compact", item));
    }
    start = comma + 1;
  }
  return std::make_pair(del, compact);
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
    if (key == "cleanup.policy") {
      FERRY_ASSIGN_OR_RETURN(std::tie(c.delete_policy, c.compact_policy),
                             parse_cleanup_policy(value));
      continue;
    }
    if (key == "min.cleanable.dirty.ratio") {
      char* end = nullptr;
      c.min_cleanable_dirty_ratio = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size()) {
        return Error(ErrorCode::INVALID_CONFIG,
                     fmt::format("{}: '{}' is not a number", key, value));
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
    } else if (key == "message.timestamp.before.max.ms") {
      c.timestamp_before_max_ms = v;
    } else if (key == "message.timestamp.after.max.ms") {
      c.timestamp_after_max_ms = v;
    } else if (key == "message.timestamp.difference.max.ms") {
      c.timestamp_difference_max_ms = v;
    } else if (key == "delete.retention.ms") {
      c.delete_retention_ms = v;
    } else if (key == "min.compaction.lag.ms") {
      c.min_compaction_lag_ms = v;
    } else if (key == "max.compaction.lag.ms") {
      c.max_compaction_lag_ms = v;
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
  if (timestamp_before_max_ms < 0 || timestamp_after_max_ms < 0 ||
      timestamp_difference_max_ms < 0) {
    return Error(ErrorCode::INVALID_CONFIG, "message.timestamp.*.max.ms must be >= 0");
  }
  if (!(min_cleanable_dirty_ratio >= 0 && min_cleanable_dirty_ratio <= 1)) {
    return Error(ErrorCode::INVALID_CONFIG, "min.cleanable.dirty.ratio must be in [0, 1]");
  }
  if (delete_retention_ms < 0 || min_compaction_lag_ms < 0 || max_compaction_lag_ms < 1) {
    return Error(ErrorCode::INVALID_CONFIG,
                 "delete.retention.ms and min.compaction.lag.ms must be >= 0, "
                 "max.compaction.lag.ms >= 1");
  }
  // Kafka's LogConfig.validate: a minimum lag above the maximum can never be honoured.
  if (min_compaction_lag_ms > max_compaction_lag_ms) {
    return Error(ErrorCode::INVALID_CONFIG,
                 fmt::format("min.compaction.lag.ms {} is above max.compaction.lag.ms {}",
                             min_compaction_lag_ms, max_compaction_lag_ms));
  }
  return ok_status();
}

}  // namespace ferry::storage
