// PartitionLog: the storage of one partition replica. A directory `<topic>-<partition>/` of
// segments (segment.h) with their indexes (index.h), the leader-epoch cache
// (leader_epoch_cache.h) and small checkpoint files (partition_files.h).
//
// THREADING. Every method is thread-safe. One mutex serialises writers (appends, roll,
// truncation, retention) and is held only briefly by readers (to pick the segment and snapshot
// the log end); reads then run outside it. fsync never holds that mutex: flush() captures what
// to sync under it, fsyncs outside it (appends go on meanwhile), then publishes the new durable
// end offset. Concurrent flush() callers share one fsync (group commit). Durability callbacks
// run on the flushing thread, outside every lock; they must not block for long.
//
// OFFSETS. log_start_offset() <= durable_end_offset() ... log_end_offset(); offsets are assigned
// once, contiguously (batch i+1 starts at batch i's last offset + 1), and never reused except
// after truncate_to() removed them. Compaction (cleanup.policy=compact) removes records and whole
// batches but never renumbers: a compacted log has gaps, and a follower of one copies them.
//
// DURABILITY. Everything below durable_end_offset() is on disk: every segment holding it was
// fdatasync'ed after the data was written, and the directory was fsynced after any segment
// file was created. Replication must acknowledge only below it (ARCHITECTURE.md section 5).
//
// CRASH RECOVERY (open()).
//  * A clean-shutdown marker whose recorded active-segment size still matches lets open() skip
//    scanning (indexes are shape-checked, the tail after the last index entry is walked).
//  * Otherwise segments from the one holding the recovery point onward are scanned batch by
//    batch (CRC, contiguous offsets, epochs matching the epoch cache), their indexes rebuilt.
//    Earlier segments were fsynced before the recovery point passed them.
//  * A TORN TAIL - bad bytes with no valid batch anywhere after them - is truncated.
//  * Bad bytes FOLLOWED by valid batches are kept, never served, and reported (error log,
//    RecoveryReport::corruptions, stats): recovery cannot tell a torn unflushed write from
//    damage to flushed data, and truncating could destroy acknowledged data. Reads of the
//    affected offsets fail with CORRUPT_MESSAGE; replication may truncate_to() and refetch.
//  * Index files are rebuilt when missing, short, or inconsistent with the log.
//  * Segments not scanned at open are CRC-checked lazily: the first read of each byte range
//    verifies it, and a bad batch is never returned (see segment.h).
//
// ERRORS. Expected failures are values with Kafka codes: OFFSET_OUT_OF_RANGE, CORRUPT_MESSAGE,
// INVALID_RECORD, MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, UNSUPPORTED_COMPRESSION_TYPE,
// KAFKA_STORAGE_ERROR (I/O; after a failed fsync or a failed rollback the log is marked failed
// and every later call returns KAFKA_STORAGE_ERROR: the broker should take the partition offline).
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "common/strong_types.h"
#include "storage/leader_epoch_cache.h"
#include "storage/log_config.h"
#include "storage/partition_files.h"
#include "storage/segment.h"

namespace ferry::storage {

// Bytes of one segment file to send with sendfile(2): `length` bytes at `position` of
// `file->fd()`. Holding the FileHandle keeps the file readable even if retention deletes the
// segment meanwhile. If the log is truncated below these bytes (only on an unclean leader
// change, since reads stop at the high watermark) the file may become shorter: a sender must
// treat a short sendfile as an error and close the connection.
struct FileSlice {
  std::shared_ptr<FileHandle> file;
  uint64_t position = 0;
  uint64_t length = 0;

  // Copies the bytes into memory (KAFKA_STORAGE_ERROR if the file is now shorter).
  Result<Bytes> copy_to_memory() const;
};

struct ReadResult {
  FileSlice slice;      // empty (length 0) when nothing qualifies
  Offset first_offset;  // base offset of the first batch (when non-empty)
  Offset last_offset;   // last offset of the last batch (when non-empty)
  Offset log_start_offset;
  Offset log_end_offset;
};

struct AppendResult {
  Offset base_offset;
  Offset last_offset;
  int64_t log_append_time_ms = kNoTimestamp;  // -1 unless the topic uses LogAppendTime
  Offset log_start_offset;
  uint64_t bytes = 0;
};

struct RecoveryReport {
  struct Corruption {
    std::filesystem::path segment;
    uint64_t start_position = 0;
    uint64_t end_position = 0;  // exclusive; the segment size for a bad tail
    std::string what;
  };
  bool clean_shutdown = false;
  size_t segments_scanned = 0;
  size_t segments_trusted = 0;
  uint64_t torn_bytes_truncated = 0;
  bool epoch_cache_rebuilt = false;
  std::vector<Corruption> corruptions;
};

struct LogStats {
  uint64_t size_bytes = 0;
  size_t segment_count = 0;
  Offset log_start_offset;
  Offset log_end_offset;
  Offset durable_end_offset;
  // Corrupt regions kept at open plus bad batches found by reads since open.
  uint64_t corruption_events = 0;
};

class PartitionLog {
 public:
  using DurableCallback = std::function<void(Status)>;
  using DurableListener = std::function<void(Offset durable_end_offset)>;

  // Creates `log_dir/<topic>-<partition>/` with partition.metadata (when topic_id is not
  // empty) and an empty first segment at offset 0. TOPIC_ALREADY_EXISTS if the directory exists.
  // `clock` must outlive the log.
  static Result<std::shared_ptr<PartitionLog>> create(const std::filesystem::path& log_dir,
                                                      const TopicPartition& tp,
                                                      std::string_view topic_id,
                                                      const LogConfig& config, Clock& clock);
  // Opens and recovers an existing partition directory (see CRASH RECOVERY above).
  static Result<std::shared_ptr<PartitionLog>> open(const std::filesystem::path& dir,
                                                    const LogConfig& config, Clock& clock,
                                                    RecoveryReport* report = nullptr);
  // Without close() (a crash in tests): file descriptors close, nothing is written.
  ~PartitionLog();
  PartitionLog(const PartitionLog&) = delete;
  PartitionLog& operator=(const PartitionLog&) = delete;

  const TopicPartition& topic_partition() const { return tp_; }
  const std::filesystem::path& dir() const { return dir_; }
  // The topic id from partition.metadata; empty if none.
  std::string topic_id() const;
  Status set_topic_id(std::string_view topic_id);

  // ---- appends ----
  // Produce path: validates every batch of `batches` (one or more concatenated v2 batches, as a
  // Produce request carries them), assigns offsets from the log end, stamps `leader_epoch`
  // (recording it in the epoch cache when new), applies LogAppendTime when configured, and
  // writes them in one write. All or nothing: on any error the log is unchanged (the buffer's
  // headers may have been rewritten). Rejects control batches (INVALID_RECORD), a batch over
  // max.message.bytes (MESSAGE_TOO_LARGE) or over segment.bytes (RECORD_LIST_TOO_LARGE), and an
  // epoch below the log's latest (FENCED_LEADER_EPOCH). The buffer is modified in place (base
  // offsets, epochs, LogAppendTime) and may be reused or freed after the call returns.
  Result<AppendResult> append_as_leader(std::span<uint8_t> batches, LeaderEpoch leader_epoch);
  // Replication path: batches exactly as the leader stored them. The first base offset must be
  // the log end offset and batches contiguous (else OFFSET_OUT_OF_RANGE); CRCs are checked
  // (CORRUPT_MESSAGE); epochs must not decrease; new epochs enter the epoch cache.
  Result<AppendResult> append_as_follower(ByteSpan batches);

  // ---- reads ----
  // Whole batches starting with the one holding `offset`, up to `max_bytes` (the first batch is
  // whole even if larger, KIP-74), never a batch whose last offset is >= max_offset_exclusive
  // (pass the high watermark), from one segment. OFFSET_OUT_OF_RANGE outside
  // [log start, log end]; CORRUPT_MESSAGE when the batch holding `offset` is corrupt.
  Result<ReadResult> read(Offset offset, uint64_t max_bytes, Offset max_offset_exclusive) const;
  // ListOffsets by timestamp: the first record with timestamp >= target (offset >= log start);
  // nullopt when none.
  Result<std::optional<TimestampOffset>> offset_for_timestamp(int64_t target_ms) const;
  // ListOffsets -3 (KIP-734): the first record carrying the largest timestamp; nullopt if empty.
  Result<std::optional<TimestampOffset>> offset_of_max_timestamp() const;

  Offset log_start_offset() const;
  Offset log_end_offset() const;
  Offset durable_end_offset() const { return Offset(durable_.load(std::memory_order_acquire)); }
  LogStats stats() const;

  // ---- durability ----
  // Makes everything appended before the call durable; group commit (see THREADING).
  Status flush();
  // Calls `done(ok)` once durable_end_offset() >= end_offset (inline if already), or with an
  // error if the log is closed, fails, or is truncated below end_offset (NOT_LEADER_OR_FOLLOWER:
  // truncation only happens to a replica that stopped leading). Does not itself flush.
  void when_durable(Offset end_offset, DurableCallback done);
  // Called with the new durable end offset after every advance (replaces any previous one).
  void set_durable_listener(DurableListener listener);

  // ---- log start, retention, truncation ----
  // The replication layer's high watermark: retention and delete_records never remove data at
  // or above it. Persisted by checkpoint() and close() in replication-offset-checkpoint; open()
  // starts from the checkpointed value (clamped to [log start, log end]), so a restarted
  // replica keeps what it knew (a new leader must not serve a regressed HW). Truncation lowers it
  // to the new log end.
  void set_high_watermark(Offset high_watermark);
  Offset high_watermark() const;
  // DeleteRecords: advances the log start offset to `offset` (OFFSET_OUT_OF_RANGE when above
  // the high watermark), deleting whole segments below it. Returns the new log start offset.
  Result<Offset> delete_records(Offset offset);
  // Deletes segments by retention.ms / retention.bytes / log start (retention.h). Returns how
  // many segments were deleted.
  Result<size_t> apply_retention(int64_t now_ms);
  // Follower truncation: removes every batch holding an offset >= end_offset (cut at a batch
  // boundary, so the new log end may be below end_offset) and epoch-cache entries from there.
  Status truncate_to(Offset end_offset);
  // Removes everything and restarts the log empty at `start_offset` (a follower whose log end
  // is below the leader's log start).
  Status truncate_fully_and_start_at(Offset start_offset);

  // ---- leader epochs ----
  // A new leader records its epoch at its log end before taking writes (KIP-279), persisted
  // before this returns. Returns where the epoch starts: the log end, or the recorded start when
  // the log already has this epoch. FENCED_LEADER_EPOCH when the log has a newer epoch.
  Result<Offset> assign_leader_epoch(LeaderEpoch epoch);
  std::optional<EpochEntry> latest_epoch() const;
  // OffsetForLeaderEpoch.
  EpochEndOffset end_offset_for_epoch(LeaderEpoch epoch) const;
  std::vector<EpochEntry> epoch_entries() const;

  // ---- config and lifecycle ----
  LogConfig config() const;
  Status set_config(const LogConfig& config);
  // Writes the recovery-point and log-start checkpoints if they changed (a LogManager calls
  // this periodically; close() does it too).
  Status checkpoint();
  // Flushes, seals, checkpoints and writes the clean-shutdown marker. Later calls fail with
  // KAFKA_STORAGE_ERROR. Parked when_durable callbacks get an error.
  Status close();
  // Stops the log without writing anything (no flush, no marker): for topic deletion, after
  // which the LogManager removes the directory. Parked callbacks get an error.
  void close_for_delete();

  // ---- compaction (driven by the cleaner, log_cleaner.h) ----
  // What a cleaning pass needs, captured under the log's lock.
  struct CleanerView {
    std::vector<std::shared_ptr<Segment>> segments;  // oldest first, the active one last
    Offset log_start;
    // min(high watermark, recovery point): nothing at or past it is cleaned (it could still be
    // truncated away, or not yet be on disk).
    Offset stable_end;
    std::optional<Offset> checkpoint;  // cleaner-offset-checkpoint: where the dirty part starts
    LogConfig config;
    LeaderEpochCache epochs;
    uint64_t truncations = 0;  // a truncation since the view was taken abandons the pass
  };
  Result<CleanerView> cleaner_view() const;
  // Where a pass stages its new segments before swapping them in: `<dir>/cleaning/`.
  std::filesystem::path cleaning_dir() const { return dir_ / "cleaning"; }
  // Replaces `old` (consecutive segments, oldest first, none of them the active one) with the
  // segment staged in cleaning_dir() under old.front()'s base offset: its .log, .index and
  // .timeindex written and fsynced, the staging directory fsynced. Crash-safe (see
  // partition_log_compaction.cc): after a crash at any point open() finds either the old
  // segments or the new one. Fails with KAFKA_STORAGE_ERROR, changing nothing, when `old` are
  // no longer the log's segments or the log was truncated since the view with `truncations`
  // was taken (a truncation or retention got there first): the caller abandons the pass.
  // `crash_point` (tests) is called after step 1 ("swap-committed") and step 2 ("swapped"); an
  // error returned stops the swap there, as a crash would.
  Status swap_in_cleaned(const std::vector<std::shared_ptr<Segment>>& old, uint64_t truncations,
                         const std::function<Status(std::string_view step)>& crash_point = nullptr);
  // Persists where the next pass's dirty part starts.
  Status set_cleaner_checkpoint(Offset first_dirty);

  // Test hook: the segments (oldest first).
  std::vector<std::shared_ptr<Segment>> segments_for_test() const;

 private:
  PartitionLog(std::filesystem::path dir, TopicPartition tp, const LogConfig& config, Clock& clock);
  struct FlushPlan;
  Status check_usable_locked() const;
  Status maybe_roll_locked(uint64_t bytes, int64_t record_count, int64_t now_ms);
  Status roll_locked(int64_t now_ms);
  Status persist_epochs_locked();
  Status write_batches_locked(ByteSpan data, const std::vector<BatchInfo>& infos, int64_t now_ms);
  Result<AppendResult> finish_append_locked(const std::vector<BatchInfo>& infos, uint64_t bytes,
                                            int64_t append_time);
  Status flush_up_to(Offset target);
  void publish_durable(Offset durable);
  void fail_waiters_locked(Offset above, const Error& error,
                           std::vector<std::pair<DurableCallback, Status>>& out);
  std::vector<std::shared_ptr<Segment>> detach_front_locked(size_t count);
  Status delete_segment_files(const std::vector<std::shared_ptr<Segment>>& gone);
  Status write_start_checkpoint();
  Status write_high_watermark_checkpoint();
  Status recover(RecoveryReport& report);
  Status recover_segments(const std::optional<CleanShutdownMarker>& marker, bool epochs_missing,
                          RecoveryReport& report);
  Status classify_bad_regions(const std::vector<std::optional<SegmentScan>>& scans,
                              RecoveryReport& report);
  Status drop_segments_below_start(RecoveryReport& report);
  Status mark_failed(const Error& error);
  // Compaction: gaps-tolerance of new segments, the "may hold gaps" marker, the swap's
  // crash recovery (partition_log_compaction.cc).
  void configure_segment_locked(Segment& segment) const;
  Status enable_gaps_locked();
  Status finish_interrupted_swap();

  const std::filesystem::path dir_;
  const TopicPartition tp_;
  Clock& clock_;

  mutable std::mutex mu_;  // guards everything below except the atomics
  LogConfig config_;
  std::vector<std::shared_ptr<Segment>> segments_;  // oldest first, never empty while open
  Offset log_start_;
  Offset high_watermark_;
  LeaderEpochCache epochs_;
  std::string topic_id_;
  bool closed_ = false;
  std::optional<Error> failed_;
  bool dir_dirty_ = false;         // a segment file was created since the last dir fsync
  uint64_t truncations_ = 0;       // bumped by every truncation (flush races)
  Offset recovery_point_;          // last checkpointed
  Offset durable_segment_base_;    // base of the segment holding durable_ (see flush)
  Offset checkpointed_start_{-1};  // last checkpointed log start
  Offset checkpointed_high_watermark_{-1};
  std::multimap<Offset, DurableCallback> waiters_;
  DurableListener listener_;
  uint64_t corruption_events_ = 0;
  // Offsets may skip forward (Segment::allow_gaps): the log is compacted, or was, or copies a
  // compacted leader. Persisted as the presence of the cleaner-offset-checkpoint file.
  bool allow_gaps_ = false;

  std::atomic<int64_t> durable_{0};
  std::mutex flush_mu_;       // one fsync round at a time (group commit)
  std::mutex checkpoint_mu_;  // one checkpoint file write at a time; taken BEFORE mu_
  mutable std::atomic<uint64_t> read_corruptions_{0};
};

}  // namespace ferry::storage
