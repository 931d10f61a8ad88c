// MetadataStore: the controller's durable state in one RocksDB database under metadata.log.dir:
// the Raft log, hard state and snapshot (it is the raft::LogStorage the core reads) and the
// applied metadata state with its applied offset.
//
// Key space (every key starts with a one-byte tag; integers big-endian so keys sort by value):
//
//   "F"                          format record, written once at creation
//   "H"                          Raft hard state
//   "E" | index:8                one log entry
//   "S"                          the latest Raft snapshot (compaction point)
//   "A"                          applied offset of the metadata state below
//   "C"                          cluster state: MetadataRecordBatch (cluster id, configs, pids)
//   "B" | broker id:4            one broker: MetadataRecordBatch (registration, its configs)
//   "T" | topic id:16            one topic: MetadataRecordBatch (topic, configs, partitions)
//
// Values:
//
//   "F"  +-------+-----------+           "H"  +-------+---------+---------+-----------+
//        | ver:1 | node id:4 |                | ver:1 | term:8  | vote:4  | commit:8  |
//        +-------+-----------+                +-------+---------+---------+-----------+
//
//   "E"  +-------+--------+---------+----------------------------------------+
//        | ver:1 | type:1 | term:8  | data (MetadataRecordBatch, or empty)    |
//        +-------+--------+---------+----------------------------------------+
//
//   "S"  +-------+----------+---------+-----------+-----------------+--------------------+
//        | ver:1 | index:8  | term:8  | nvoters:4 | voter:4 * n     | data (Metadata-    |
//        +-------+----------+---------+-----------+-----------------+  Snapshot proto)   |
//                                                                    +--------------------+
//   "A"  +-----------+
//        | applied:8 |
//        +-----------+
//
// Crash safety: every mutation is one RocksDB WriteBatch, so a crash leaves the state before or
// after it, never half of it. persist() (Raft step 1) is synced when the Ready requires it;
// save_state() is not: losing it only means replaying the log after the older applied offset
// (records are applied idempotently per offset). RocksDB's write-ahead log is ordered, so an
// unsynced state write can never survive while an earlier synced log write is lost. A crash
// between installing a leader's snapshot (persist) and saving the state it implies leaves the
// applied offset below the snapshot; open() then reports it and the driver reloads the state
// from the stored snapshot.
//
// Thread-safety: none; the Raft driver's strand owns the store. Errors are KAFKA_STORAGE_ERROR
// with RocksDB's message.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "controller/metadata/image.h"
#include "controller/metadata/state_machine.h"
#include "controller/raft/storage.h"
#include "controller/raft/types.h"

namespace rocksdb {
class DB;
}

namespace ferry::controller {

class MetadataStore final : public raft::LogStorage {
 public:
  // Opens (creating if needed) the store in `dir` for `node`. INVALID_CONFIG if the directory
  // belongs to another node id; KAFKA_STORAGE_ERROR if it cannot be read.
  static Result<std::unique_ptr<MetadataStore>> open(const std::string& dir, NodeId node);
  ~MetadataStore() override;

  // --- raft::LogStorage (answers first/last index and terms from memory) -------------------------
  Result<raft::InitialState> initial_state() const override;
  LogIndex first_index() const override { return compacted_index_ + 1; }
  LogIndex last_index() const override {
    return compacted_index_ + static_cast<int64_t>(terms_.size());
  }
  Result<Term> term(LogIndex index) const override;
  Result<std::vector<raft::Entry>> entries(LogIndex lo, LogIndex hi,
                                           uint64_t max_bytes) const override;
  Result<raft::Snapshot> snapshot() const override;

  // --- Raft step 1 -------------------------------------------------------------------------------
  // Persists a Ready atomically: `snapshot` replaces the whole log; `entries` replace stored
  // entries from entries[0].index on; `hard_state` overwrites the stored one. fsync iff `sync`.
  Status persist(const std::optional<raft::Snapshot>& snapshot,
                 const std::vector<raft::Entry>& entries,
                 const std::optional<raft::HardState>& hard_state, bool sync);

  // --- Applied metadata state --------------------------------------------------------------------
  struct State {
    metadata::MetadataImage image;  // image.offset == applied
  };
  // The persisted state (an empty image at offset 0 for a new store).
  Result<State> load_state() const;
  // Writes the entities named in `changes` (from `image`) and the applied offset, unsynced.
  Status save_state(const metadata::MetadataImage& image,
                    const metadata::MetadataBuilder::Changes& changes);
  // Replaces the whole persisted state with `image` (after loading a snapshot).
  Status replace_state(const metadata::MetadataImage& image);

  // --- Compaction --------------------------------------------------------------------------------
  // Stores `snapshot` (of the state at its index, which must be within the log) as the new
  // compaction point and discards entries up to and including `compact_to` (<= snapshot index).
  // Synced.
  Status save_snapshot(const raft::Snapshot& snapshot, LogIndex compact_to);
  // Index and term of the stored snapshot (0, 0 when none).
  LogIndex snapshot_index() const { return stored_snapshot_.index; }

  const std::string& dir() const { return dir_; }

 private:
  MetadataStore(std::string dir, std::unique_ptr<rocksdb::DB> db);
  Status load(NodeId node);
  Status load_log();
  Status write(void* batch, bool sync);  // rocksdb::WriteBatch*

  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  raft::HardState hard_state_;
  // The log start: entries up to compacted_index_ are discarded (they are covered by the stored
  // snapshot); first_index() = compacted_index_ + 1 and term(compacted_index_) =
  // compacted_term_.
  LogIndex compacted_index_{0};
  Term compacted_term_{0};
  // The stored snapshot (at or above compacted_index_: a tail of entries may be kept after it).
  raft::SnapshotMetadata stored_snapshot_;
  // Terms of the stored entries [first_index(), last_index()].
  std::deque<Term> terms_;
};

}  // namespace ferry::controller
