// LogStorage: how the core reads the *stable* (persisted) Raft log, hard state and snapshot.
//
// The core never writes storage. The driver does, while handling a Ready (raw_node.h): it
// persists the snapshot, entries and hard state of the Ready, and from then on LogStorage must
// return them. Entries the core has produced but the driver has not persisted yet ("unstable")
// live inside the core (unstable_log.h) and are handed out in Ready.
//
// Shape of the stable log (etcd-raft's Storage idea):
//
//        snapshot                       entries
//   [ ... up to index S, term T_S ][ S+1 | S+2 | ... | L ]
//                                    ^ first_index()   ^ last_index()
//
//   first_index() = S + 1 (1 for a log that was never compacted: S = 0, T_S = 0)
//   The latest snapshot() may be newer than S (a driver snapshots at the applied index and
//   compacts a little behind it), never older.
//   last_index()  = L     (= S when the log after the snapshot is empty)
//   term(i) answers for i in [S, L]: term(S) is the snapshot's term (0 when S = 0).
//
// Errors: a read below the log start (term(i) for i < S, entries(lo, ...) for lo <= S) returns an
// Error with code kCompactedError, which the core handles (a leader then sends a snapshot). Any
// other error means the stable log cannot be read; the core treats that as fatal (FERRY_PANIC
// with the error): continuing with a log it cannot read could break safety. Kafka's KRaft client
// halts the controller in the same situation. snapshot() may fail with any code; the core then
// retries later (e.g. a snapshot being written).
//
// Thread-safety: called only from the thread that drives the RawNode. first_index()/last_index()
// are called often; implementations should answer them from memory.
#pragma once

#include <cstdint>
#include <vector>

#include "common/error.h"
#include "controller/raft/types.h"

namespace ferry::raft {

// The code a LogStorage returns for reads below its first index.
inline constexpr ErrorCode kCompactedError = ErrorCode::OFFSET_OUT_OF_RANGE;

// What a node restarts from.
struct InitialState {
  HardState hard_state;
  // Metadata of the latest snapshot (index 0 if none). Its index is where a state machine
  // rebuilt from the snapshot stands (the default applied index on restart); its configuration
  // is used if non-empty, otherwise Config::voters.
  SnapshotMetadata snapshot;
};

class LogStorage {
 public:
  virtual ~LogStorage() = default;

  virtual Result<InitialState> initial_state() const = 0;
  virtual LogIndex first_index() const = 0;
  virtual LogIndex last_index() const = 0;
  // Term of the entry at `index`, for index in [first_index() - 1, last_index()].
  virtual Result<Term> term(LogIndex index) const = 0;
  // Entries [lo, hi) with first_index() <= lo <= hi <= last_index() + 1. Returns at least one
  // entry when lo < hi, then stops before the total entry_size_bytes() would exceed max_bytes.
  virtual Result<std::vector<Entry>> entries(LogIndex lo, LogIndex hi,
                                             uint64_t max_bytes) const = 0;
  // The most recent snapshot (empty when there is none).
  virtual Result<Snapshot> snapshot() const = 0;
};

}  // namespace ferry::raft
