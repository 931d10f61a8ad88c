// Per-topic log configuration: Kafka's topic-level keys and defaults (the broker maps its
// `log.*` defaults onto these). Changeable at runtime through PartitionLog::set_config (alter
// configs); a change applies from the next append / retention pass.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "common/error.h"
#include "storage/record_batch.h"

namespace ferry::storage {

struct LogConfig {
  // segment.bytes: roll when the active segment would grow past this (Kafka default 1 GiB).
  int64_t segment_bytes = 1LL << 30;
  // segment.ms: roll when the active segment's first append is this old (default 7 days).
  int64_t segment_ms = 7LL * 24 * 3600 * 1000;
  // retention.ms: delete segments whose newest timestamp is older than this; -1 = infinite.
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  // retention.bytes: delete oldest segments while the log is larger than this; -1 = infinite.
  int64_t retention_bytes = -1;
  // max.message.bytes: the largest batch accepted (MESSAGE_TOO_LARGE above it).
  int32_t max_message_bytes = 1048588;
  // message.timestamp.type: CreateTime or LogAppendTime.
  TimestampType message_timestamp_type = TimestampType::kCreateTime;
  // message.timestamp.before.max.ms / after.max.ms (KIP-937) and the deprecated
  // message.timestamp.difference.max.ms: how far a CreateTime timestamp may lie before / after
  // the broker's clock (INVALID_TIMESTAMP beyond). INT64_MAX: no bound. As in Kafka, an unset
  // (INT64_MAX) before/after bound falls back on difference.max.ms.
  int64_t timestamp_before_max_ms = INT64_MAX;
  int64_t timestamp_after_max_ms = INT64_MAX;
  int64_t timestamp_difference_max_ms = INT64_MAX;
  int64_t before_bound_ms() const {
    return timestamp_before_max_ms != INT64_MAX ? timestamp_before_max_ms
                                                : timestamp_difference_max_ms;
  }
  int64_t after_bound_ms() const {
    return timestamp_after_max_ms != INT64_MAX ? timestamp_after_max_ms
                                               : timestamp_difference_max_ms;
  }
  // index.interval.bytes: bytes of log between two offset-index entries.
  int32_t index_interval_bytes = 4096;

  // cleanup.policy: "delete" (retention removes old segments), "compact" (the cleaner keeps the
  // latest record per key), or both. A compact-only log is never retained by time or size.
  bool delete_policy = true;
  bool compact_policy = false;
  // min.cleanable.dirty.ratio: clean once dirty bytes / (clean + dirty) exceeds this.
  double min_cleanable_dirty_ratio = 0.5;
  // delete.retention.ms: how long a tombstone survives once a clean has seen it (KIP-534).
  int64_t delete_retention_ms = 86400000;
  // min.compaction.lag.ms / max.compaction.lag.ms (KIP-58, KIP-354): records younger than the
  // minimum are never cleaned; a dirty segment older than the maximum forces a clean.
  int64_t min_compaction_lag_ms = 0;
  int64_t max_compaction_lag_ms = INT64_MAX;

  // Ferry's own (not Kafka keys): decompress compressed batches on append to check their
  // records (Kafka always does); and the decompression bound used for it.
  bool validate_compressed_records = true;
  size_t max_decompressed_bytes = 256u << 20;

  // Applies Kafka key/value overrides ("segment.bytes" -> "1048576", ...) on top of `*this`.
  // Unknown keys and bad values are INVALID_CONFIG naming the key.
  Result<LogConfig> with_overrides(const std::map<std::string, std::string>& overrides) const;
  // Checks ranges (segment.bytes >= 14 like Kafka, ...): INVALID_CONFIG.
  Status validate() const;
};

}  // namespace ferry::storage
