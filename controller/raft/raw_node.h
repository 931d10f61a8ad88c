// RawNode: the public face of the Raft core, for the controller's Raft driver.
//
// A RawNode is a deterministic state machine (see raft.h). The driver owns the I/O: it feeds
// inputs (tick, step, propose, read_index, transfer_leadership) and repeatedly drains a Ready
// batch of outputs, handling it in this order:
//
//   while (node.has_ready()) {
//     Ready rd = node.ready();
//     1. PERSIST  rd.snapshot (if set), rd.entries, rd.hard_state (if set), atomically (one
//                 RocksDB WriteBatch), and fsync it when rd.must_sync. After this, LogStorage
//                 must return them. Appending entries[0] at index i first discards every stored
//                 entry with index >= i. A snapshot replaces the whole stored log and its
//                 (index, term) becomes the log start.
//     2. SEND     rd.messages, in any order, to their `to` node (best effort: the core resends on
//                 its own; drop what cannot be sent, call report_unreachable(to) if it helps).
//                 Each message may depend on anything in this or an earlier Ready, hence after 1.
//     3. APPLY    rd.snapshot (if set: replace the state machine with snapshot.data), then
//                 rd.committed_entries in order (type kLeaderNoop: nothing to apply). They may
//                 include entries of this very Ready's rd.entries (a follower learns the commit
//                 index with the entries), hence after 1. Serve rd.read_states once the applied
//                 index reaches their index.
//     4. ADVANCE  node.advance().
//   }
//
// What may be sent before persistence: nothing from a Ready before its step 1 finished. The
// core never hands out a message whose meaning depends on state it has not handed out for
// persistence in the same or an earlier Ready (a vote is in the hard state of the Ready carrying
// the vote response; acknowledged entries are in its entries). The leader counts its own log
// toward commitment only after advance() reports it persisted, so a commit never relies on an
// unpersisted leader entry.
//
// Crash in the middle: if the batch of step 1 is atomic, a crash leaves either the previous or
// the new durable state, and no message of the lost Ready was sent. A non-atomic store must at
// least write snapshot, then entries, then hard state, and the core then tolerates entries
// persisted without their hard state (they were never acknowledged). An unsynced Ready with
// must_sync == false (only the commit index changed) may be lost in a crash: the commit index is
// re-learned from the leader.
//
// Between ready() and advance() the driver may keep calling tick/step/propose/...: their effects
// go to the next Ready. ready() may not be called again before advance() (FERRY_ASSERT).
// has_ready() is false while a Ready is outstanding.
//
// Log compaction is the driver's policy: after applying up to index A, it may take a state
// machine snapshot at some index S <= A (snapshot_metadata(S) gives its (index, term, voters)),
// store it as LogStorage::snapshot(), then discard stored entries <= S. Never discard entries
// above the stored snapshot's index. The core notices through LogStorage::first_index() and
// sends the stored snapshot to followers that need discarded entries.
//
// Errors: step() refuses malformed input with INVALID_REQUEST and ignores stale input (ok);
// nothing received from the network can crash the process. propose()/read_index()/
// transfer_leadership() answer NOT_CONTROLLER when this node cannot serve them, naming the
// leader if known. Contract violations by the driver and unreadable storage are FERRY_ASSERT /
// FERRY_PANIC.
//
// Thread-safety: none. One thread (the driver's event loop) calls everything.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "common/error.h"
#include "common/random.h"
#include "controller/raft/config.h"
#include "controller/raft/message.h"
#include "controller/raft/progress.h"
#include "controller/raft/storage.h"
#include "controller/raft/types.h"

namespace ferry::raft {

class Raft;

struct Ready {
  // Role or leader changed since the previous Ready (informational, not persisted).
  std::optional<SoftState> soft_state;
  // Changed since the previous Ready: persist (step 1).
  std::optional<HardState> hard_state;
  // A snapshot from the leader to persist (step 1) and load into the state machine (step 3).
  std::optional<Snapshot> snapshot;
  // Entries to persist (step 1), contiguous; they replace stored entries from entries[0].index.
  std::vector<Entry> entries;
  // Entries to apply (step 3): contiguous, starting right after the previous applied index.
  std::vector<Entry> committed_entries;
  // Messages to send (step 2), after step 1.
  std::vector<Message> messages;
  // Linearizable reads that may be served once applied >= index.
  std::vector<ReadState> read_states;
  // Whether step 1 must be fsynced before step 2 (entries, snapshot, term or vote changed).
  bool must_sync = false;

  bool empty() const {
    return !soft_state && !hard_state && !snapshot && entries.empty() &&
           committed_entries.empty() && messages.empty() && read_states.empty();
  }
};

// What the leader knows about one voter, for "describe quorum" style lag reports.
struct FollowerStatus {
  NodeId id = kNoNode;
  LogIndex match{0};
  LogIndex next{0};
  ProgressState state = ProgressState::kProbe;
  bool recent_active = false;
  size_t inflight_appends = 0;
  LogIndex pending_snapshot{0};
};

struct NodeStatus {
  NodeId id = kNoNode;
  Role role = Role::kFollower;
  Term term{0};
  NodeId vote = kNoNode;
  NodeId leader = kNoNode;
  NodeId lead_transferee = kNoNode;
  LogIndex commit{0};
  LogIndex applied{0};
  LogIndex first_index{0};
  LogIndex last_index{0};
  Term last_term{0};
  ConfState conf_state;
  // Leader only (empty otherwise), one per voter including the leader, by node id.
  std::vector<FollowerStatus> progress;
};

class RawNode {
 public:
  // Starts (or restarts) a node from `storage` (hard state, snapshot, stable entries) and
  // `config`. `storage` and `random` must outlive the node. INVALID_CONFIG for a bad config;
  // KAFKA_STORAGE_ERROR for inconsistent stored state.
  static Result<std::unique_ptr<RawNode>> create(const Config& config, const LogStorage& storage,
                                                 Random& random);
  ~RawNode();
  RawNode(const RawNode&) = delete;
  RawNode& operator=(const RawNode&) = delete;

  // --- Inputs ------------------------------------------------------------------------------------

  // Advances logical time by one tick (election and heartbeat timeouts are counted in ticks).
  void tick();
  // Feeds a message received from another voter. ok when handled or ignored as stale;
  // INVALID_REQUEST when malformed, misaddressed, or impossible from a correct peer.
  Status step(const Message& message);
  // Appends `data` as a new entry (leader only). The returned id identifies the proposal: it
  // succeeded iff a committed entry with exactly this (term, index) is later applied; an entry
  // at that index with another term means it was lost (retry). NOT_CONTROLLER if not leader or
  // a leadership transfer is in progress.
  Result<EntryId> propose(Bytes data);
  // Requests a linearizable read (thesis 6.4). `context` must be unique among pending requests;
  // the answer comes as a ReadState with the same context in a later Ready. A follower forwards
  // the request to the leader. Requests are lost on leadership changes: retry after a timeout.
  // NOT_CONTROLLER when no leader is known.
  Status read_index(Bytes context);
  // Leader: hands leadership to voter `target` (for graceful shutdown): brings it up to date,
  // then tells it to campaign at once; proposals are refused meanwhile; abandoned after an
  // election timeout. NOT_CONTROLLER if not leader; INVALID_REQUEST if target is not a voter.
  Status transfer_leadership(NodeId target);
  // Starts an election now (e.g. a driver-side preferred leader), as on election timeout.
  void campaign();
  // Transport feedback for a kInstallSnapshot message it sent (delivered) or gave up on.
  void report_snapshot(NodeId to, bool delivered);
  // Transport feedback: `to` could not be reached; the leader stops pipelining to it.
  void report_unreachable(NodeId to);

  // --- Outputs -----------------------------------------------------------------------------------

  bool has_ready() const;
  // Precondition: no Ready outstanding. See the contract at the top of this file.
  Ready ready();
  // The outstanding Ready was fully handled (persisted, sent, applied).
  void advance();

  // --- Introspection -----------------------------------------------------------------------------

  NodeStatus status() const;
  NodeId id() const;
  Role role() const;
  Term term() const;
  NodeId leader() const;
  // Metadata for a snapshot at `index` (<= the applied index): the entry's term and the voters.
  // kCompactedError below the log start, including when a snapshot received from the leader
  // (not yet handed out or applied) has replaced the log: skip that compaction round then.
  // INVALID_REQUEST past the applied index.
  Result<SnapshotMetadata> snapshot_metadata(LogIndex index) const;

 private:
  explicit RawNode(std::unique_ptr<Raft> raft);

  std::unique_ptr<Raft> raft_;
  SoftState prev_soft_state_;
  HardState prev_hard_state_;
  // What the outstanding Ready handed out, reported back at advance().
  struct Outstanding {
    std::optional<EntryId> last_entry;
    std::optional<LogIndex> snapshot_index;
    std::optional<LogIndex> applied_to;
  };
  std::optional<Outstanding> outstanding_;
};

}  // namespace ferry::raft
