// The two sparse indexes of a segment, in Kafka's on-disk formats (big-endian, fixed size,
// no header, offsets relative to the segment's base offset):
//
//   <base>.index      8-byte entries, offsets strictly increasing, positions increasing
//     0                 4                 8
//     +-----------------+-----------------+
//     | relative offset | position        |   relative offset = (last offset of the batch
//     | int32           | int32           |   at `position`) - base offset, as Kafka writes it
//     +-----------------+-----------------+
//
//   <base>.timeindex  12-byte entries, timestamps and offsets non-decreasing
//     0                                   8                 12
//     +-----------------------------------+-----------------+
//     | timestamp (ms) int64              | relative offset |   the largest timestamp seen so
//     |                                   | int32           |   far and the batch holding it
//     +-----------------------------------+-----------------+
//
// An offset entry is added for the first batch after every `index.interval.bytes` of log (and
// for the first valid batch after a corrupt region found by recovery, whose entry then names the
// batch's BASE offset: lookups only need entry offset within [batch base, batch last]).
// lookup(target) returns the entry with the largest offset <= target, so the batch holding
// `target` starts at or after the returned position.
//
// Crash behaviour: index files are written with plain write() and never fsynced on the append
// path; after a crash they may be short, long or garbage. load() checks their shape and the
// owner rebuilds them from the log when it fails (indexes are derived data). Indexes of sealed
// segments are fsynced before the recovery point passes them.
//
// Entries live in memory (8 or 12 bytes per index.interval.bytes of log, 2 MiB per GiB at the
// default interval) and are appended to the file as they are added. Not thread-safe: the
// owning Segment serialises access.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "common/strong_types.h"

namespace ferry::storage {

struct OffsetEntry {
  Offset offset;
  uint32_t position = 0;
};

struct TimeEntry {
  int64_t timestamp = 0;
  Offset offset;
};

// Shared file handling for both formats. `Codec` provides kSize, encode(), decode().
template <typename Entry, typename Codec>
class IndexFile {
 public:
  IndexFile() = default;
  IndexFile(const IndexFile&) = delete;
  IndexFile& operator=(const IndexFile&) = delete;
  ~IndexFile();

  // Opens (creating if missing) `path`; reads its entries into memory WITHOUT validating them.
  Status open(const std::filesystem::path& path, Offset base_offset);
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  std::optional<Entry> last() const;
  // Whether the file held a whole number of entries when opened.
  bool loaded_whole_entries() const { return whole_entries_; }

  // Adds an entry in memory; write_pending() appends pending entries to the file.
  void append(const Entry& entry) { entries_.push_back(entry); }
  Status write_pending();
  // Keeps the first `count` entries (memory and file).
  Status truncate_entries(size_t count);
  // Replaces every entry (memory and file).
  Status reset(std::vector<Entry> entries);
  Status sync();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  Offset base_offset_;
  int fd_ = -1;
  std::vector<Entry> entries_;
  size_t written_ = 0;  // entries already in the file
  bool whole_entries_ = true;
};

struct OffsetCodec {
  static constexpr size_t kSize = 8;
  static void encode(const OffsetEntry& e, Offset base, uint8_t* out);
  static OffsetEntry decode(const uint8_t* in, Offset base);
};
struct TimeCodec {
  static constexpr size_t kSize = 12;
  static void encode(const TimeEntry& e, Offset base, uint8_t* out);
  static TimeEntry decode(const uint8_t* in, Offset base);
};

class OffsetIndex : public IndexFile<OffsetEntry, OffsetCodec> {
 public:
  // Largest entry with offset <= target.
  std::optional<OffsetEntry> lookup(Offset target) const;
  // Shape check against the segment: increasing offsets and positions, offsets within
  // [base, next_offset), positions < log_size. False means "rebuild me".
  bool is_consistent(Offset base, Offset next_offset, uint64_t log_size) const;
  // Drops entries whose position is >= `position`.
  Status truncate_to_position(uint64_t position);
};

class TimeIndex : public IndexFile<TimeEntry, TimeCodec> {
 public:
  // Largest entry with timestamp <= target.
  std::optional<TimeEntry> lookup(int64_t target) const;
  // Appends only when timestamp is above the last entry's (Kafka's maybeAppend).
  void maybe_append(int64_t timestamp, Offset offset);
  bool is_consistent(Offset base, Offset next_offset) const;
  // Drops entries whose offset is >= `offset`.
  Status truncate_to_offset(Offset offset);
};

}  // namespace ferry::storage
