// UnstableLog: the tail of the Raft log the core holds in memory until the driver reports it
// persisted (RawNode::advance()). It may also hold a snapshot received from the leader that is
// not persisted yet.
//
//   stable (LogStorage)                    unstable (this)
//   [ first .............. offset-1 ][ offset ........ offset+n-1 ]
//                                      entries_[0]      entries_[n-1]
//
// `offset` is the index of entries_[0] (when entries_ is empty: the index the next entry gets).
// With a pending snapshot at index S, offset == S + 1 and the snapshot replaces everything
// before it. A conflicting append may move `offset` *below* the stable last index: the stable
// entries at or after `offset` are then stale, and the next Ready tells the driver to replace
// them.
//
// stable_to()/stable_snap_to() are told what the driver persisted, identified by (term, index):
// if the unstable log changed meanwhile (a later truncation replaced that entry), the report is
// ignored and the new entries stay unstable until the next Ready.
#pragma once

#include <optional>
#include <vector>

#include "controller/raft/types.h"

namespace ferry::raft {

class UnstableLog {
 public:
  explicit UnstableLog(LogIndex offset) : offset_(offset) {}

  // first index if the pending snapshot defines it (snapshot index + 1).
  std::optional<LogIndex> maybe_first_index() const;
  // last index if defined by unstable entries or the pending snapshot.
  std::optional<LogIndex> maybe_last_index() const;
  // term of `index` if it is a pending entry or the pending snapshot's index.
  std::optional<Term> maybe_term(LogIndex index) const;

  LogIndex offset() const { return offset_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::optional<Snapshot>& snapshot() const { return snapshot_; }

  // Entries [lo, hi); precondition offset <= lo <= hi <= offset + entries().size().
  std::vector<Entry> slice(LogIndex lo, LogIndex hi) const;

  // Appends `entries` (contiguous, non-empty), truncating any unstable entries at or after
  // entries.front().index. If that index is below `offset`, offset moves back to it.
  void truncate_and_append(const std::vector<Entry>& entries);

  // Replaces everything with a snapshot received from the leader.
  void restore(Snapshot snapshot);

  // The driver persisted entries up to and including `id`.
  void stable_to(EntryId id);
  // The driver persisted the pending snapshot at `index`.
  void stable_snap_to(LogIndex index);

 private:
  std::optional<Snapshot> snapshot_;
  std::vector<Entry> entries_;
  LogIndex offset_;
};

}  // namespace ferry::raft
