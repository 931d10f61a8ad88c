// The leader-epoch cache of one partition: for every leader epoch that wrote to the log, the
// offset of its first batch (Kafka's LeaderEpochFileCache, KIP-101/279). Followers use it to
// find where their log diverges from the leader's (OffsetForLeaderEpoch) and recovery uses it
// to reject batches whose epoch does not belong at their offset.
//
// Persisted as Kafka's `leader-epoch-checkpoint` text file in the partition directory:
//
//   0            <- format version
//   2            <- number of entries
//   0 0          <- "<epoch> <start offset>", epochs and offsets strictly increasing
//   3 1500
//
// written atomically (temp + fsync + rename + dir fsync) on every change: a crash leaves the old
// or the new file. An entry is persisted BEFORE the first batch of its epoch is written, so after
// a crash the cache may hold entries beyond the log end (trimmed at open), never miss one.
//
// This class is the pure in-memory part plus (de)serialisation; PartitionLog owns persistence
// and locking. Not thread-safe by itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/strong_types.h"

namespace ferry::storage {

struct EpochEntry {
  LeaderEpoch epoch;
  Offset start_offset;
  bool operator==(const EpochEntry&) const = default;
};

// Answer to "where does epoch E end?" (OffsetForLeaderEpoch). Kafka's sentinels: epoch -1 and
// offset -1 when undefined.
struct EpochEndOffset {
  LeaderEpoch epoch{-1};
  Offset end_offset{-1};
  bool operator==(const EpochEndOffset&) const = default;
};

class LeaderEpochCache {
 public:
  LeaderEpochCache() = default;
  explicit LeaderEpochCache(std::vector<EpochEntry> entries) : entries_(std::move(entries)) {}

  // Records that `epoch` starts at `start_offset`. No-op when the latest entry already is this
  // epoch with a start <= start_offset. Entries with epoch >= `epoch` or start >= start_offset
  // are dropped first (Kafka's monotonicity rule). Returns whether the cache changed.
  bool assign(LeaderEpoch epoch, Offset start_offset);
  // Removes entries starting at or after `end_offset` (log truncated to end_offset).
  bool truncate_from_end(Offset end_offset);
  // The log now starts at `start_offset`: entries starting at/before it collapse into one
  // entry (the latest of them) moved to start_offset.
  bool truncate_from_start(Offset start_offset);
  void clear() { entries_.clear(); }

  // Kafka's endOffsetFor: the largest epoch <= requested and the start offset of the first
  // epoch after it, or `log_end_offset` when the requested epoch is the latest.
  EpochEndOffset end_offset_for(LeaderEpoch requested, Offset log_end_offset) const;
  // The epoch of the batch holding `offset`; nullopt when offset precedes every entry.
  std::optional<LeaderEpoch> epoch_for_offset(Offset offset) const;
  std::optional<EpochEntry> latest() const;
  const std::vector<EpochEntry>& entries() const { return entries_; }

  // The checkpoint file text, and its parser (KAFKA_STORAGE_ERROR naming the bad line).
  std::string serialize() const;
  static Result<LeaderEpochCache> parse(std::string_view text);

 private:
  std::vector<EpochEntry> entries_;
};

}  // namespace ferry::storage
