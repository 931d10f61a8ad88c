#include "storage/retention.h"

#include <functional>

namespace ferry::storage {

namespace {

// Length of the prefix of segments[from..] where `may_delete` holds and the bounds allow it.
size_t deletable_prefix(const std::vector<SegmentMeta>& segments, size_t from,
                        Offset high_watermark,
                        const std::function<bool(const SegmentMeta&, bool is_last)>& may_delete) {
  size_t i = from;
  for (; i < segments.size(); ++i) {
    const SegmentMeta& s = segments[i];
    const bool is_last = i + 1 == segments.size();
    if (high_watermark < s.end_offset) break;
    // Kafka's isLastSegmentAndEmpty: deleting an empty active segment would only roll another.
    if (is_last && s.size_bytes == 0) break;
    if (!may_delete(s, is_last)) break;
  }
  return i - from;
}

}  // namespace

RetentionPlan plan_retention(const std::vector<SegmentMeta>& segments, const LogConfig& config,
                             int64_t now_ms, Offset high_watermark, Offset log_start_offset) {
  RetentionPlan plan;
  size_t done = 0;
  auto record = [&](size_t n, RetentionReason reason) {
    if (n > 0 && plan.reason == RetentionReason::kNone) plan.reason = reason;
    done += n;
  };
  // A compact-only log keeps its segments (Kafka's UnifiedLog.deleteOldSegments): the cleaner
  // decides what goes; only the log start rule still applies.
  if (config.delete_policy && config.retention_ms >= 0) {
    record(deletable_prefix(segments, done, high_watermark,
                            [&](const SegmentMeta& s, bool) {
                              return now_ms - s.largest_timestamp_ms > config.retention_ms;
                            }),
           RetentionReason::kTime);
  }
  if (config.delete_policy && config.retention_bytes >= 0) {
    // Segments the time pass deletes no longer count toward the log's size.
    int64_t total = 0;
    for (size_t i = done; i < segments.size(); ++i) {
      total += static_cast<int64_t>(segments[i].size_bytes);
    }
    int64_t excess = total - config.retention_bytes;
    record(deletable_prefix(segments, done, high_watermark,
                            [&](const SegmentMeta& s, bool) {
                              if (excess - static_cast<int64_t>(s.size_bytes) < 0) return false;
                              excess -= static_cast<int64_t>(s.size_bytes);
                              return true;
                            }),
           RetentionReason::kSize);
  }
  record(deletable_prefix(segments, done, high_watermark,
                          [&](const SegmentMeta& s, bool is_last) {
                            return !is_last && s.end_offset <= log_start_offset;
                          }),
         RetentionReason::kLogStart);
  plan.delete_count = done;
  return plan;
}

}  // namespace ferry::storage
