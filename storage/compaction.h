// Log compaction as pure functions and one bounded data structure (STYLE.md habit 1): what to
// clean, which key wins, what a batch becomes. No files, threads or clocks here; the cleaner
// (log_cleaner.h) reads segments, feeds these, writes the result and swaps it in. The rules are
// Kafka's (GROUPS.md section 5, LogCleaner / LogCleanerManager):
//
//   [log start ............ first dirty ............ first uncleanable ......... log end)
//    clean: deduplicated     dirty: keys go into      uncleanable: the active segment,
//    by an earlier pass      the offset map           anything at or above the HW or the
//                                                     recovery point, or younger than
//                                                     min.compaction.lag.ms
//
// A record survives a pass when it is the latest record of its key (by the map), or lies past
// what the map covers; a tombstone (null value) survives until its batch's delete horizon
// (KIP-534: stamped as now + delete.retention.ms by the first pass that keeps it) has passed.
// Keyless records go. Offsets never change: a rewritten batch keeps its base and last offset,
// so the log gets gaps, never renumbering; a batch left with no record is dropped.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "common/strong_types.h"
#include "storage/log_config.h"
#include "storage/record_batch.h"

namespace ferry::storage {

// Key -> latest offset, in a fixed budget of memory (Kafka's SkimpyOffsetMap): an open-addressed
// table of 24-byte slots holding a 128-bit hash of the key and the offset. Two keys with the same
// 128-bit hash count as one key (the odds are ~n^2 / 2^129). Not thread-safe.
class OffsetMap {
 public:
  // `memory_bytes` / 24 slots; put() of a new key fails once `load_factor` of them are used.
  OffsetMap(size_t memory_bytes, double load_factor);
  ~OffsetMap();
  OffsetMap(const OffsetMap&) = delete;
  OffsetMap& operator=(const OffsetMap&) = delete;

  // Records `offset` for `key` (overwriting an older offset). False, changing nothing, when the
  // key is new and the map is full.
  bool put(ByteSpan key, Offset offset);
  std::optional<Offset> get(ByteSpan key) const;
  size_t size() const { return used_; }
  size_t capacity() const { return limit_; }
  bool full() const { return used_ >= limit_; }
  // Forgets every key (fresh zero pages: cheap even for a large map).
  void clear();

 private:
  struct Slot;
  size_t find(const uint64_t hash[2]) const;

  size_t slots_ = 0;
  size_t limit_ = 0;
  size_t used_ = 0;
  Slot* table_ = nullptr;
};

// One segment as the cleaning policy sees it.
struct CleanableSegment {
  Offset base_offset;
  Offset end_offset;  // the next segment's base, or the log end for the active segment
  uint64_t size_bytes = 0;
  // Newest record timestamp (or file mtime when it has none): min/max.compaction.lag.ms.
  int64_t largest_timestamp_ms = 0;
};

struct CleaningPlan {
  Offset first_dirty;        // where the dirty section starts (the checkpoint, clamped)
  Offset first_uncleanable;  // a segment base: only whole segments below it are cleaned
  uint64_t clean_bytes = 0;
  uint64_t dirty_bytes = 0;
  double dirty_ratio = 0;
  bool forced = false;  // max.compaction.lag.ms overdue: cleaned whatever the ratio
};

// Whether and what to clean (Kafka's LogCleanerManager.cleanableOffsets and
// grabFilthiestCompactedLog). `segments` are all of the log's, oldest first, the active one
// last. `checkpoint` is the cleaner checkpoint (nullopt if none); `stable_end` is the first
// offset that may not be cleaned because it is not yet safe: min(high watermark, recovery
// point). nullopt when there is nothing to clean or the ratio is too low and nothing is overdue.
std::optional<CleaningPlan> plan_cleaning(const std::vector<CleanableSegment>& segments,
                                          const LogConfig& config, int64_t now_ms,
                                          std::optional<Offset> checkpoint, Offset log_start,
                                          Offset stable_end);

// Consecutive segments (indexes into `segments`) rewritten into one new segment: together
// within `max_bytes` (segment.bytes) and an offset span that fits the index's int32 relative
// offsets (Kafka's groupSegmentsBySize). Every segment lands in exactly one group, in order.
std::vector<std::vector<size_t>> group_segments(const std::vector<CleanableSegment>& segments,
                                                int64_t max_bytes);

// Whether a record survives (Kafka's LogCleaner.shouldRetainRecord). `map_end`: the last offset
// the map covers (records after it are kept untouched); `horizon_passed`: its batch's delete
// horizon is set and now is at or past it.
bool retain_record(const Record& record, const OffsetMap& map, Offset map_end, bool horizon_passed);

struct BatchFilterResult {
  enum class Kind { kKeepAsIs, kDrop, kRewritten };
  Kind kind = Kind::kKeepAsIs;
  Bytes rewritten;  // kRewritten: the new batch (same base and last offset, new CRC)
  size_t records_removed = 0;
};

// What one stored batch becomes in a pass (Kafka's MemoryRecords.filterTo). Control batches are
// kept. A rewritten batch keeps base offset, last offset, leader epoch, producer fields,
// codec (recompressed with the same codec and snappy framing) and timestamp type; a kept
// tombstone without a horizon stamps one (now + delete.retention.ms, attribute bit 6, in the
// base timestamp with the record deltas rebased so every record keeps its timestamp).
Result<BatchFilterResult> filter_batch(RecordBatchView batch, const OffsetMap& map, Offset map_end,
                                       int64_t now_ms, int64_t delete_retention_ms,
                                       size_t max_decompressed_bytes);

}  // namespace ferry::storage
