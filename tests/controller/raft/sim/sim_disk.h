// SimDisk: one simulated node's durable Raft state, written the way the RocksDB driver will:
// each Ready is one atomic record (a WriteBatch), a compaction is another; records become
// durable only when synced. A crash keeps every synced record, a random prefix of the unsynced
// ones, and may tear the last record it keeps. Recovery replays records in order and stops at
// the first one whose checksum fails (a torn tail), like a WAL.
//
// Record format (big-endian):
//
//   +-----------+-------------+---------------------------------------------+
//   | crc32c u32| length u32  | payload (length bytes)                      |
//   +-----------+-------------+---------------------------------------------+
//   crc32c covers the payload. payload = kind u8, then
//     kind 1 (ready):      has_snapshot u8 [snapshot] | n u32 entry*n | has_hard_state u8 [hard]
//     kind 2 (compaction): snapshot | compact_index i64
//   snapshot = index i64 | term i64 | n u32 voter(i32)*n | len u32 data
//   entry    = term i64 | index i64 | type u8 | len u32 data
//   hard     = term i64 | vote i32 | commit i64
//
// A torn record is a prefix of its bytes (the crc or length then fails to check out).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "common/random.h"
#include "controller/raft/memory_storage.h"
#include "controller/raft/raw_node.h"

namespace ferry::raft::sim {

struct CrashReport {
  size_t unsynced_lost = 0;  // unsynced records dropped
  bool torn = false;         // the last kept record was torn (and is then dropped by recovery)
};

class SimDisk {
 public:
  // The durable part of a Ready: snapshot, entries, hard state.
  void write_ready(const Ready& ready, std::optional<HardState> hard_state);
  void write_compaction(const Snapshot& snapshot, LogIndex compact_index);
  void sync();

  // Power loss: see the file comment. `torn_chance` is the probability of tearing the last kept
  // unsynced record.
  CrashReport crash(Random& random, double torn_chance);

  // The state a restarting node finds. Records that fail their checksum end the replay and are
  // cut off (with everything after them), as a WAL recovery truncates a torn tail.
  std::unique_ptr<MemoryStorage> recover();

  // Highest commit index of any synced hard state (what a restart must not go below).
  LogIndex synced_commit() const { return synced_commit_; }
  size_t records() const { return records_.size(); }
  size_t unsynced() const { return records_.size() - synced_; }

 private:
  void append_record(const Bytes& payload, std::optional<LogIndex> commit);

  std::vector<Bytes> records_;
  std::vector<std::optional<LogIndex>> record_commit_;  // hard-state commit per record, if any
  size_t synced_ = 0;
  LogIndex synced_commit_{0};
};

}  // namespace ferry::raft::sim
