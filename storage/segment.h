// One log segment: `<base>.log` holding whole record batches back to back (the Kafka v2 bytes
// exactly as validated and stamped, see record_batch.h), plus its `.index` and `.timeindex`
// (index.h). File names are the base offset as 20 zero-padded digits:
//
//   00000000000000001500.log   batches [1500, next_offset), the first one's BaseOffset == 1500
//
// Invariants of a segment's valid content: batch i+1 starts where batch i ends, its BaseOffset
// is batch i's last offset + 1 (or larger in a compacted log, allow_gaps()), its leader epoch
// matches the leader-epoch cache, and every CRC matches. Positions fit in int32 (segments never
// reach 2 GiB).
//
// Verification: bytes written by this process were validated before the write; bytes found on
// disk are trusted only once checked. A segment keeps the set of byte ranges it has verified
// (written here, scanned by recovery, or checked on an earlier read); read() CRC-checks any
// unverified part of what it is about to return and never returns a batch that fails (the first
// batch failing is CORRUPT_MESSAGE; a later one ends the result before it).
//
// Threading: the owning PartitionLog serialises writers (append, seal, truncate, recover);
// readers (read, find_*) run concurrently with them and with each other. size() and
// next_offset() are atomics published after the bytes are written; indexes, verified ranges and
// timestamps are guarded by an internal mutex. The .log file stays readable through any
// FileHandle obtained from file(), even after the segment is deleted.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "common/strong_types.h"
#include "storage/index.h"
#include "storage/leader_epoch_cache.h"
#include "storage/record_batch.h"

namespace ferry::storage {

struct IndexBuilder;  // storage-internal: index entries derived by a header walk

// An open file descriptor shared by reference count: the sendfile(2) source of a read result.
class FileHandle {
 public:
  FileHandle(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  ~FileHandle();
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }
  // pread of exactly `size` bytes at `position` (KAFKA_STORAGE_ERROR on error or short file).
  Status read_exact(uint64_t position, uint8_t* out, size_t size) const;

 private:
  int fd_;
  std::filesystem::path path_;
};

// A record offset and its timestamp (ListOffsets answers).
struct TimestampOffset {
  int64_t timestamp = kNoTimestamp;
  Offset offset;
  bool operator==(const TimestampOffset&) const = default;
};

// Byte ranges [start, end) known to hold valid batches.
class VerifiedRanges {
 public:
  bool covers(uint64_t start, uint64_t end) const;
  void add(uint64_t start, uint64_t end);
  void truncate(uint64_t end);
  void clear() { ranges_.clear(); }

 private:
  std::vector<std::pair<uint64_t, uint64_t>> ranges_;
};

// Whole batches that failed their checks but whose headers still chain (base offsets continue,
// lengths land on the next header), followed by a valid batch at exactly the offset they end at.
struct SegmentHole {
  uint64_t from = 0;
  uint64_t to = 0;  // position of the valid batch after the hole
  Offset next;      // its base offset
};

// What a recovery scan of one segment found.
struct SegmentScan {
  // Bad batches followed by valid ones in this segment: kept, never served.
  std::vector<SegmentHole> holes;
  // Position of the first bad byte after the last valid batch, if the segment ends badly.
  std::optional<uint64_t> bad_tail_from;
  // The bad tail holds valid batches that could not be placed (their offsets are not proven).
  bool bad_tail_holds_batches = false;
  size_t valid_batches = 0;
  // (epoch, base offset) of every batch whose epoch differs from the batch before it.
  std::vector<EpochEntry> epoch_starts;
};

// A located run of whole batches inside the segment.
struct SegmentSlice {
  uint64_t position = 0;
  uint64_t length = 0;
  Offset first_offset;  // base offset of the first batch
  Offset last_offset;   // last offset of the last batch
};

class Segment {
 public:
  // "00000000000000001500"
  static std::string file_stem(Offset base_offset);
  static std::filesystem::path log_path(const std::filesystem::path& dir, Offset base);
  // Creates empty .log/.index/.timeindex (truncating leftovers of an earlier life).
  static Result<std::shared_ptr<Segment>> create(const std::filesystem::path& dir, Offset base,
                                                 int64_t now_ms);
  // Opens existing files without reading the log; call load_trusted() or scan() next.
  static Result<std::shared_ptr<Segment>> open(const std::filesystem::path& dir, Offset base);
  ~Segment();

  Offset base_offset() const { return base_offset_; }
  uint64_t size() const { return size_.load(std::memory_order_acquire); }
  Offset next_offset() const { return Offset(next_offset_.load(std::memory_order_acquire)); }
  bool empty() const { return size() == 0; }
  std::shared_ptr<FileHandle> file() const { return file_; }
  // Offsets from next_offset() up to the next segment's base are lost (bad or missing bytes
  // at this segment's end, kept because later segments hold valid data).
  bool corrupt_tail() const { return corrupt_tail_.load(); }
  void set_corrupt_tail(bool v) { corrupt_tail_.store(v); }
  // Offsets may skip forward between batches and a segment's first batch may start after its
  // base offset: the log is (or was) compacted, or a follower copied a compacted leader's log.
  // Every offset-chain check then only asks for increasing offsets.
  bool allow_gaps() const { return allow_gaps_.load(); }
  void set_allow_gaps(bool v) { allow_gaps_.store(v); }

  int64_t max_timestamp() const;
  // Last offset of the first batch that reached max_timestamp().
  Offset offset_of_max_timestamp() const;
  // Wall time of the first append to this segment (segment.ms); -1 when empty.
  int64_t first_append_ms() const;
  int64_t last_modified_ms() const;

  // ---- writer side (serialised by the owner) ----
  // Writes `data` (batches described by `batches`, positions relative to data) at the end.
  // On error nothing is published and the file is cut back to its old size.
  Status append(ByteSpan data, const std::vector<BatchInfo>& batches, int32_t index_interval_bytes,
                int64_t now_ms);
  // Writes the final time-index entry and any pending index bytes (on roll and close).
  Status seal();
  // Removes every batch whose last offset is >= `offset` (cuts at the batch holding it).
  Status truncate_to(Offset offset);
  // Full scan: validates every batch, rebuilds both indexes, records holes and a bad tail.
  // `epochs` (may be empty) rejects batches whose epoch does not belong at their offset.
  Result<SegmentScan> scan(const LeaderEpochCache& epochs);
  // Cuts the file at `position` (a bad tail) and fixes next offset/indexes.
  Status cut_bad_tail(uint64_t position);
  // For segments not scanned: checks the indexes (rebuilding them from a header walk when
  // inconsistent) and walks the headers after the last index entry to learn next_offset and
  // the max timestamp. Returns false when a bad header stops the walk before the end of the
  // file: the caller should scan() the segment instead.
  Result<bool> load_trusted();
  Status sync_log();
  Status sync_indexes();
  // Bytes known fsynced (the flusher's bookkeeping), and whether index bytes were written since
  // the last sync_indexes().
  uint64_t synced_size() const { return synced_.load(); }
  void mark_synced(uint64_t size);
  bool indexes_dirty() const { return indexes_dirty_.load(); }
  // index.interval.bytes used when indexes are rebuilt (append takes it as an argument).
  void set_index_interval_bytes(int32_t bytes);
  // Closes nothing (handles close with the last reference); removes the three files.
  Status delete_files();
  // Renames the log file to `<name>.corrupt-<now_ms>` (never read again, kept for inspection)
  // and removes its indexes. The segment object is unusable afterwards.
  Status set_aside(int64_t now_ms);

  // ---- reader side (any thread) ----
  // Whole batches starting at the one holding `offset`, at most `max_bytes` except that the
  // first batch is always whole; no batch whose last offset is >= max_offset_exclusive; nothing
  // at or past `size_limit`. Empty slice (length 0) when nothing qualifies.
  // CORRUPT_MESSAGE when the batch holding `offset` is bad or cannot be located.
  Result<SegmentSlice> read(Offset offset, uint64_t max_bytes, Offset max_offset_exclusive,
                            uint64_t size_limit, const LeaderEpochCache& epochs);
  // The first record with timestamp >= target and offset >= min_offset.
  Result<std::optional<TimestampOffset>> find_by_timestamp(int64_t target, Offset min_offset,
                                                           uint64_t size_limit,
                                                           const LeaderEpochCache& epochs);
  // The first record of the batch at offset_of_max_timestamp() whose timestamp is the max.
  Result<std::optional<TimestampOffset>> find_max_timestamp(uint64_t size_limit,
                                                            const LeaderEpochCache& epochs);

  // Test hooks.
  size_t offset_index_entries() const;
  std::filesystem::path offset_index_path() const;
  std::filesystem::path time_index_path() const;

 private:
  Segment(std::filesystem::path dir, Offset base, std::shared_ptr<FileHandle> file);
  struct Located {
    uint64_t position;
    bool found;  // false: offset is past every batch below size_limit
  };
  Result<Located> locate(Offset offset, uint64_t size_limit);
  Result<Located> locate_once(Offset offset, uint64_t size_limit, bool* index_mismatch);
  // Header walk from position 0 (jumping known holes) rebuilding both indexes, next offset and
  // timestamps. Returns whether the walk reached `limit` without a bad header.
  Result<bool> rebuild_indexes_locked(uint64_t limit);
  // Adopts what a full header walk derived (both indexes, timestamps) and the next offset.
  Status install_locked(IndexBuilder ib, Offset next);
  // Header walk from the last offset-index entry to `limit`: next offset, max timestamp, bytes
  // since the last entry. False when the entry does not match its batch or a header is bad.
  Result<bool> walk_tail_locked(uint64_t limit);
  Status cut_locked(uint64_t position);
  Result<Bytes> read_verified(uint64_t position, uint64_t length, const LeaderEpochCache& epochs,
                              uint64_t* valid_length);
  Result<std::optional<TimestampOffset>> first_record_at_or_after(uint64_t position, int64_t target,
                                                                  Offset min_offset,
                                                                  uint64_t size_limit,
                                                                  const LeaderEpochCache& epochs);

  const std::filesystem::path dir_;
  const Offset base_offset_;
  std::shared_ptr<FileHandle> file_;
  std::atomic<uint64_t> size_{0};
  std::atomic<int64_t> next_offset_;
  std::atomic<bool> corrupt_tail_{false};
  std::atomic<bool> allow_gaps_{false};
  std::atomic<uint64_t> synced_{0};
  std::atomic<bool> indexes_dirty_{false};

  mutable std::mutex mu_;  // guards everything below
  OffsetIndex offset_index_;
  TimeIndex time_index_;
  VerifiedRanges verified_;
  uint64_t bytes_since_index_entry_ = 0;
  int32_t index_interval_bytes_ = 4096;
  std::vector<SegmentHole> holes_;
  int64_t max_timestamp_ = kNoTimestamp;
  Offset offset_of_max_timestamp_;
  int64_t first_append_ms_ = -1;
  int64_t last_modified_ms_ = 0;
};

// Checks one batch found on disk: shape, CRC, header fields, and (when the cache covers its
// offset) its leader epoch. `expected_base` (if set) must equal its BaseOffset, or with `gaps`
// (a log compaction may have left gaps in) be at most its BaseOffset.
Status check_stored_batch(RecordBatchView batch, std::optional<Offset> expected_base,
                          const LeaderEpochCache& epochs, bool gaps);

}  // namespace ferry::storage
