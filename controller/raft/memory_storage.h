// MemoryStorage: a LogStorage kept in memory, for tests, the simulation, and as the reference
// for what a durable implementation must do. It holds exactly what a driver "persisted" by
// calling its mutators; it is not durable by itself (the simulation rebuilds one from its
// simulated disk on restart).
//
// Layout: entries_[0] is a dummy entry carrying the snapshot's (index, term); entries_[k] has
// index snapshot_index + k. So first_index() = entries_[0].index + 1 and
// last_index() = entries_[0].index + entries_.size() - 1.
//
// Thread-safety: none; one thread (the driver's) at a time.
#pragma once

#include <vector>

#include "controller/raft/storage.h"

namespace ferry::raft {

class MemoryStorage final : public LogStorage {
 public:
  MemoryStorage();

  // LogStorage.
  Result<InitialState> initial_state() const override;
  LogIndex first_index() const override;
  LogIndex last_index() const override;
  Result<Term> term(LogIndex index) const override;
  Result<std::vector<Entry>> entries(LogIndex lo, LogIndex hi, uint64_t max_bytes) const override;
  Result<Snapshot> snapshot() const override;

  // --- What a driver does while handling a Ready ------------------------------------------------

  void set_hard_state(const HardState& hard_state) { hard_state_ = hard_state; }
  const HardState& hard_state() const { return hard_state_; }

  // Appends entries (contiguous, increasing indexes). Persisted entries at or after
  // entries.front().index are replaced (they conflict, or are re-sent copies). Entries at or
  // below the snapshot index are skipped. INVALID_REQUEST if the entries would leave a gap
  // after last_index() or are not contiguous.
  Status append(const std::vector<Entry>& entries);

  // Replaces the whole log with `snapshot` (a follower installing a leader's snapshot).
  // INVALID_REQUEST if it is not newer than the current snapshot.
  Status apply_snapshot(Snapshot snapshot);

  // --- Log compaction (driver policy)
  // -------------------------------------------------------------

  // Records a snapshot of the state machine at `index` (which must be in
  // [snapshot index + 1, last_index()], and should be <= the applied index) without discarding
  // entries. Returns it.
  Result<Snapshot> create_snapshot(LogIndex index, ConfState conf_state, Bytes data);

  // Discards entries up to and including `index` (<= last_index()); `index` becomes the
  // dummy whose term is remembered. Compacting at or below the current start is a no-op.
  // A driver compacts only up to its latest snapshot's index, so a lagging follower can always
  // be caught up with snapshot() + the remaining entries.
  Status compact(LogIndex index);

 private:
  LogIndex snapshot_index() const { return entries_.front().index; }

  HardState hard_state_;
  Snapshot snapshot_;
  std::vector<Entry> entries_;  // entries_[0] is the dummy (snapshot index and term)
};

}  // namespace ferry::raft
