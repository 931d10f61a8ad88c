// Leader-side bookkeeping of each voter: how far its log matches ours (Progress), the flow
// control of Append messages to it (Inflights), and the quorum arithmetic over the voter set
// (ProgressTracker: commit index by counting matches, election tallies, check-quorum).
//
// Progress state machine (as in etcd-raft), per follower:
//
//            reject / unreachable               snapshot sent
//   Probe <----------------------- Replicate     Probe/Replicate -----------> Snapshot
//     |  one Append per heartbeat     ^  pipelined Appends up to             |
//     |  until one is accepted        |  max_inflight_appends                | follower answers
//     with
//     +-------------------------------+                                      | an index >= log
//     start,
//              accepted                                                      | or timeout/report
//                                                                            v
//                                                                          Probe
//
// Invariant: match < next. `match` only grows while this node stays leader; `next` moves back
// on rejections. The quorum functions work over a voter *set* so that joint configurations
// (membership change) can be added by combining two of them.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string_view>
#include <vector>

#include "controller/raft/types.h"

namespace ferry::raft {

// A sliding window of Append messages sent but not acknowledged, by the index of their last
// entry. Full when max_count messages or max_bytes of entries are in flight.
class Inflights {
 public:
  Inflights(size_t max_count, uint64_t max_bytes) : max_count_(max_count), max_bytes_(max_bytes) {}

  void add(LogIndex last_index, uint64_t bytes);
  // Frees every message whose last index is <= `index` (acknowledged).
  void free_le(LogIndex index);
  void reset();
  bool full() const;
  size_t count() const { return messages_.size(); }
  uint64_t bytes() const { return bytes_; }

 private:
  struct InFlight {
    LogIndex last_index;
    uint64_t bytes;
  };
  size_t max_count_;
  uint64_t max_bytes_;
  std::deque<InFlight> messages_;
  uint64_t bytes_ = 0;
};

enum class ProgressState : uint8_t { kProbe, kReplicate, kSnapshot };
std::string_view progress_state_name(ProgressState state);

class Progress {
 public:
  Progress(LogIndex next, size_t max_inflight, uint64_t max_inflight_bytes)
      : next(next), inflights(max_inflight, max_inflight_bytes) {}

  LogIndex match{0};  // highest index known to match the leader's log
  LogIndex next{1};   // next index to send; entries in (match, next) are in flight
  ProgressState state = ProgressState::kProbe;
  // kSnapshot: index of the snapshot sent.
  LogIndex pending_snapshot{0};
  // Ticks spent in kSnapshot (a lost snapshot is re-sent after a timeout).
  int64_t snapshot_ticks = 0;
  // Heard from since the last check-quorum round.
  bool recent_active = false;
  // Probe: an Append is out, wait (until a heartbeat response) before sending another.
  // Replicate: all entries are in flight; no empty probing Append until a heartbeat response.
  bool append_paused = false;
  // Highest commit index sent to the follower (< next), so commit changes are propagated once.
  LogIndex sent_commit{0};
  Inflights inflights;

  void become_probe();
  void become_replicate();
  void become_snapshot(LogIndex snapshot_index);

  // An AppendResponse acknowledged `index`: raise match (and next). False if stale.
  bool maybe_update(LogIndex index);
  // The follower rejected an Append at `rejected`, suggesting `match_hint`; lowers next. False if
  // the rejection is stale (out of order or duplicated).
  bool maybe_decr_to(LogIndex rejected, LogIndex match_hint);

  // Whether an Append (possibly empty) should go to the follower now, given the leader's last
  // index and commit.
  bool should_send_append(LogIndex last, LogIndex commit) const;
  // Whether flow control allows sending at least one entry.
  bool can_send_entries(LogIndex last) const;
  bool can_bump_commit(LogIndex commit) const;
  // Book-keeping after sending an Append with `count` entries of `bytes`, carrying `commit`.
  void sent_append(size_t count, uint64_t bytes, LogIndex commit);
};

enum class VoteResult : uint8_t { kPending, kLost, kWon };

// The result of an election among `voters` given the votes received so far.
VoteResult majority_vote_result(const std::vector<NodeId>& voters,
                                const std::map<NodeId, bool>& votes);
// The highest index acknowledged by a majority of `voters` (0 when there are none).
LogIndex majority_committed_index(const std::vector<NodeId>& voters,
                                  const std::function<LogIndex(NodeId)>& acked);

// Progress of every voter, plus the votes of the current election. Iteration is in node-id
// order, so everything the core does is deterministic.
class ProgressTracker {
 public:
  ProgressTracker(ConfState config, size_t max_inflight, uint64_t max_inflight_bytes);

  const ConfState& config() const { return config_; }
  bool is_voter(NodeId id) const { return config_.contains(id); }
  bool is_singleton() const { return config_.voters.size() == 1; }

  // Fresh progress for every voter, in probe state with next = `next`; `self` gets
  // match = `self_match`.
  void reset_progress(LogIndex next, NodeId self, LogIndex self_match);
  Progress* progress(NodeId id);
  const std::map<NodeId, Progress>& all_progress() const { return progress_; }
  std::map<NodeId, Progress>& all_progress() { return progress_; }

  // Index replicated on a majority (by match).
  LogIndex committed_index() const;
  // Whether a majority (counting `self`) was recently active; then clears recent_active of all
  // but `self` for the next round.
  bool quorum_active_and_reset(NodeId self);

  void reset_votes() { votes_.clear(); }
  // Records the first vote from `id` (later ones are ignored) and returns the tally.
  VoteResult record_vote(NodeId id, bool granted);
  VoteResult vote_result() const { return majority_vote_result(config_.voters, votes_); }
  size_t votes_granted() const;
  size_t votes_rejected() const { return votes_.size() - votes_granted(); }

 private:
  ConfState config_;
  size_t max_inflight_;
  uint64_t max_inflight_bytes_;
  std::map<NodeId, Progress> progress_;
  std::map<NodeId, bool> votes_;
};

}  // namespace ferry::raft
