// Raft: the consensus state machine of one node (paper Figure 2 plus the thesis extensions
// pre-vote, check-quorum, read-index and leadership transfer). Internal to the module: drivers
// use RawNode (raw_node.h), which adds the Ready/advance bookkeeping on top.
//
// Purely deterministic: inputs are tick(), step(message), propose(), read_index(),
// transfer_leadership() and the persisted()/applied() reports; outputs are queued messages, read
// states, and the state visible through the accessors. Randomness comes only from the injected
// Random (the election timeout), time only from tick(). No threads, I/O or clocks.
//
// Where each part lives:
//   raft.cc           construction, term rules (step), role transitions, tick
//   raft_election.cc  campaign, pre-vote/vote handling, tallies
//   raft_leader.cc    proposals, replication (bcast_append), commit, heartbeats, read index,
//                     leadership transfer, snapshots to followers
//   raft_follower.cc  AppendEntries, heartbeats and InstallSnapshot on the receiving side
//
// Safety-relevant rules, with where they are enforced:
//   * one vote per term: vote_ is part of the hard state; a vote response leaves only in a Ready
//     whose hard state (with the vote) the driver persists first (raw_node.h contract);
//   * election restriction (5.4.1): RaftLog::is_up_to_date in handle_vote_request;
//   * commit only current-term entries by counting (5.4.2): maybe_commit();
//   * never truncate committed entries: RaftLog::maybe_append refuses;
//   * a leader counts its own log entries only once persisted: on_persisted().
// Not thread-safe: one thread (the driver's) calls everything.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/random.h"
#include "controller/raft/config.h"
#include "controller/raft/message.h"
#include "controller/raft/progress.h"
#include "controller/raft/raft_log.h"
#include "controller/raft/read_index.h"
#include "controller/raft/storage.h"

namespace ferry::raft {

class Raft {
 public:
  // Loads the hard state and configuration from `storage`. INVALID_CONFIG for a bad config,
  // KAFKA_STORAGE_ERROR when the stored state is inconsistent (e.g. commit past the log end).
  static Result<std::unique_ptr<Raft>> create(const Config& config, const LogStorage& storage,
                                              Random& random);

  // --- Inputs ------------------------------------------------------------------------------------
  void tick();
  // Ignores stale messages (ok); INVALID_REQUEST for malformed or impossible ones.
  Status step(const Message& message);
  // Leader only; NOT_CONTROLLER otherwise (naming the leader if known). Returns the new entry's
  // id: the proposal succeeded iff an entry with this id is later committed.
  Result<EntryId> propose(Bytes data);
  // Starts an election now (if this node is a voter and not leader), as on election timeout.
  void campaign_now();
  Status read_index(Bytes context);
  Status transfer_leadership(NodeId target);
  // The transport's verdict on a kInstallSnapshot it tried to send.
  void report_snapshot(NodeId to, bool delivered);
  // The transport could not reach `to`: stop pipelining to it (leader).
  void report_unreachable(NodeId to);

  // The driver persisted the pending snapshot (if `snapshot_index`) and the unstable entries up
  // to `last_entry` (if set).
  void on_persisted(std::optional<EntryId> last_entry, std::optional<LogIndex> snapshot_index);
  // The driver applied everything up to `index`.
  void on_applied(LogIndex index) { log_.applied_to(index); }

  // --- Outputs -----------------------------------------------------------------------------------
  std::vector<Message> take_messages() { return std::exchange(messages_, {}); }
  std::vector<ReadState> take_read_states() { return std::exchange(read_states_, {}); }
  bool has_messages() const { return !messages_.empty(); }
  bool has_read_states() const { return !read_states_.empty(); }

  // --- State -------------------------------------------------------------------------------------
  NodeId id() const { return id_; }
  Role role() const { return role_; }
  Term term() const { return term_; }
  NodeId vote() const { return vote_; }
  NodeId leader() const { return leader_; }
  NodeId lead_transferee() const { return lead_transferee_; }
  HardState hard_state() const { return HardState{term_, vote_, log_.committed()}; }
  SoftState soft_state() const { return SoftState{role_, leader_}; }
  const RaftLog& log() const { return log_; }
  const ProgressTracker& tracker() const { return tracker_; }
  const Config& config() const { return config_; }

 private:
  Raft(const Config& config, const LogStorage& storage, ConfState conf, Random& random);
  Status load_hard_state(const HardState& state, LogIndex snapshot_index);

  // raft.cc: roles, terms, ticks.
  void become_follower(Term term, NodeId leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void reset(Term term);
  void reset_randomized_election_timeout();
  bool promotable() const { return tracker_.is_voter(id_); }
  void tick_election();
  void tick_heartbeat();
  bool step_higher_term(const Message& m);
  void step_lower_term(const Message& m);
  Status step_by_role(const Message& m);
  Status step_leader(const Message& m);
  Status step_candidate(const Message& m);
  Status step_follower(const Message& m);
  void send(Message m);
  // NOT_CONTROLLER naming the known leader, for requests only a leader can serve.
  Error not_leader_error(std::string_view action) const;

  // raft_election.cc
  enum class CampaignKind : uint8_t { kPreElection, kElection, kTransfer };
  void hup(CampaignKind kind);
  void campaign(CampaignKind kind);
  void handle_vote_request(const Message& m);
  void handle_vote_response(const Message& m);
  VoteResult poll(NodeId from, bool granted);

  // raft_leader.cc
  void bcast_append();
  bool maybe_send_append(NodeId to);
  bool send_snapshot(NodeId to, Progress& pr);
  void bcast_heartbeat();
  bool maybe_commit();
  void append_entry(EntryType type, Bytes data);
  Status handle_append_response(const Message& m, Progress& pr);
  void handle_append_rejection(const Message& m, Progress& pr);
  void handle_heartbeat_response(const Message& m, Progress& pr);
  void handle_read_index_request(NodeId from, Bytes context);
  void answer_read_index(NodeId from, Bytes context, LogIndex index);
  void release_pending_read_index_requests();
  bool committed_entry_in_current_term() const;
  void check_quorum_active();
  void tick_snapshot_timeouts();
  void send_timeout_now(NodeId to);
  void abort_leader_transfer() { lead_transferee_ = kNoNode; }

  // raft_follower.cc
  Status handle_append(const Message& m);
  void handle_heartbeat(const Message& m);
  void handle_snapshot(const Message& m);
  bool restore(const Snapshot& snapshot);

  Config config_;
  Random& random_;
  RaftLog log_;
  ProgressTracker tracker_;
  ReadIndexQueue read_index_queue_;

  NodeId id_;
  Term term_{0};
  NodeId vote_ = kNoNode;
  NodeId leader_ = kNoNode;
  Role role_ = Role::kFollower;
  NodeId lead_transferee_ = kNoNode;

  // Ticks since the last election timeout (follower: since hearing from the leader; leader:
  // since the last check-quorum round).
  int64_t election_elapsed_ = 0;
  int64_t heartbeat_elapsed_ = 0;
  int64_t randomized_election_timeout_ = 0;

  // Read requests received before this leader committed an entry of its term.
  struct PendingRead {
    NodeId from;
    Bytes context;
  };
  std::vector<PendingRead> pending_reads_;

  std::vector<Message> messages_;
  std::vector<ReadState> read_states_;
};

}  // namespace ferry::raft
