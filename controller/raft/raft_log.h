// RaftLog: one node's view of the replicated log = the stable part (LogStorage, read-only here)
// followed by the unstable part (UnstableLog), plus the commit and applied indexes.
//
//   snapshot | stable entries (LogStorage)  | unstable entries (UnstableLog)
//   ...... S | S+1 ..................... P  | U ............................ L
//                 applied <= committed <= L ;  U <= P + 1 (U < P+1 after a conflicting append)
//
// Invariants (checked with FERRY_ASSERT; a violation is a bug, not bad input):
//   first_index() - 1 <= applied <= committed <= last_index()
//   committed never decreases.
// Entries at or below `committed` are never truncated: maybe_append() refuses a message that
// would, with INVALID_REQUEST (such a message cannot come from a correct leader).
//
// Reads of the stable part go through LogStorage; an error other than kCompactedError is fatal
// (see storage.h). Not thread-safe; owned by the Raft core.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/error.h"
#include "controller/raft/storage.h"
#include "controller/raft/unstable_log.h"

namespace ferry::raft {

class RaftLog {
 public:
  // Starts from what `storage` holds: committed = applied = its snapshot index.
  explicit RaftLog(const LogStorage& storage);

  LogIndex first_index() const;
  LogIndex last_index() const;
  Term last_term() const;
  EntryId last_entry_id() const { return EntryId{last_term(), last_index()}; }
  LogIndex committed() const { return committed_; }
  LogIndex applied() const { return applied_; }

  // Term of the entry at `index` for index in [first_index() - 1, last_index()]; kCompactedError
  // below that, INVALID_REQUEST above.
  Result<Term> term(LogIndex index) const;
  // Term at `index`, or 0 when it is compacted or past the end (for hints and logs).
  Term term_or_zero(LogIndex index) const;
  bool match_term(EntryId id) const;

  // Election restriction (paper 5.4.1): is a candidate whose last entry is `candidate_last` at
  // least as up-to-date as this log?
  bool is_up_to_date(EntryId candidate_last) const;

  // Follower side of AppendEntries: if the entry `prev` matches, append `entries` after it
  // (truncating conflicting entries), commit up to min(leader_commit, last new index) and return
  // the last new index. std::nullopt if `prev` does not match. INVALID_REQUEST if the entries
  // conflict with a committed entry.
  Result<std::optional<LogIndex>> maybe_append(EntryId prev, LogIndex leader_commit,
                                               const std::vector<Entry>& entries);
  // Leader side: appends entries after last_index() (they must continue it). Returns last index.
  LogIndex append(const std::vector<Entry>& entries);

  // Index of the first entry of `entries` whose term differs from this log (or that this log
  // lacks), or 0 if this log already holds them all.
  LogIndex find_conflict(const std::vector<Entry>& entries) const;
  // The largest (index, term) with index <= `index` and term <= `term` in this log: used to skip
  // whole terms on AppendEntries rejections (thesis 3.5). Stops at first_index() - 1.
  EntryId find_conflict_by_term(LogIndex index, Term term) const;

  // Raises committed to `index` (never lowers it). Precondition: index <= last_index().
  void commit_to(LogIndex index);
  // Leader: commit `id.index` if it is above committed and its entry has term `id.term` (paper
  // 5.4.2: only entries of the leader's current term are committed by counting replicas).
  bool maybe_commit(EntryId id);
  void applied_to(LogIndex index);

  // Entries [lo, hi) limited to max_bytes (at least one entry when lo < hi); kCompactedError if
  // lo is below first_index().
  Result<std::vector<Entry>> slice(LogIndex lo, LogIndex hi, uint64_t max_bytes) const;

  // Committed entries not applied yet: (applied, committed], at most max_bytes (at least one).
  // None while a snapshot is pending (it must be applied first).
  std::vector<Entry> next_committed_entries(uint64_t max_bytes) const;
  bool has_next_committed_entries() const;

  const std::vector<Entry>& unstable_entries() const { return unstable_.entries(); }
  const std::optional<Snapshot>& pending_snapshot() const { return unstable_.snapshot(); }
  // The highest index whose entry is known persisted and not about to be replaced.
  LogIndex last_stable_index() const;

  // The latest snapshot: the pending one if any, otherwise storage's.
  Result<Snapshot> snapshot() const;
  // Installs a leader's snapshot: the whole log becomes `snapshot`; committed = its index.
  void restore(Snapshot snapshot);

  void stable_to(EntryId id) { unstable_.stable_to(id); }
  void stable_snap_to(LogIndex index) { unstable_.stable_snap_to(index); }

 private:
  Result<std::vector<Entry>> storage_slice(LogIndex lo, LogIndex hi, uint64_t max_bytes) const;

  const LogStorage& storage_;
  UnstableLog unstable_;
  LogIndex committed_;
  LogIndex applied_;
};

// Returns entries trimmed so that their total entry_size_bytes() stays within max_bytes, keeping
// at least one.
void limit_size(std::vector<Entry>& entries, uint64_t max_bytes);

}  // namespace ferry::raft
