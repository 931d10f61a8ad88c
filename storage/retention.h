// Retention policy as a pure function (STYLE.md habit 1): which of a partition's oldest
// segments may be deleted, from segment metadata, config, `now` and the high watermark. The
// PartitionLog applies the answer. Kafka's UnifiedLog.deletableSegments rules:
//
//  * segments are deleted oldest first, as a prefix; the first segment that may not go stops it;
//  * a segment may go only when its whole range is below the high watermark (the next
//    segment's base, or the log end for the last, is <= hw) and it is not the last segment
//    while empty; the last (active) segment may go (the log then rolls a new empty one);
//  * retention.ms (>= 0, cleanup.policy has delete): now - largest_timestamp > retention.ms;
//  * retention.bytes (>= 0, cleanup.policy has delete): while (total size - retention.bytes) >= the
//  segment's size;
//  * log start: a segment whose next segment starts at or below the log start offset
//    (after delete_records).
// The three passes run in that order, each continuing where the previous one stopped.
#pragma once

#include <cstdint>
#include <vector>

#include "common/strong_types.h"
#include "storage/log_config.h"

namespace ferry::storage {

struct SegmentMeta {
  Offset base_offset;
  Offset end_offset;  // the next segment's base offset, or the log end offset for the last
  uint64_t size_bytes = 0;
  // The newest record timestamp in the segment, or its file modification time when it has no
  // timestamps (Kafka's largestTimestamp).
  int64_t largest_timestamp_ms = 0;
};

enum class RetentionReason { kNone, kTime, kSize, kLogStart };

struct RetentionPlan {
  size_t delete_count = 0;                          // the oldest `delete_count` segments go
  RetentionReason reason = RetentionReason::kNone;  // the first rule that deleted something
};

RetentionPlan plan_retention(const std::vector<SegmentMeta>& segments, const LogConfig& config,
                             int64_t now_ms, Offset high_watermark, Offset log_start_offset);

}  // namespace ferry::storage
