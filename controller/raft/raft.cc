// Raft: construction, the term rules every message goes through, role transitions and ticks.
#include "controller/raft/raft.h"

#include <fmt/format.h>

#include "controller/raft/raft_logging.h"

namespace ferry::raft {

Result<std::unique_ptr<Raft>> Raft::create(const Config& config, const LogStorage& storage,
                                           Random& random) {
  FERRY_TRY(config.validate());
  FERRY_ASSIGN_OR_RETURN(InitialState initial, storage.initial_state());
  ConfState conf = initial.snapshot.conf_state.empty() ? make_conf_state(config.voters)
                                                       : initial.snapshot.conf_state;
  if (conf.empty()) {
    return Error(ErrorCode::INVALID_CONFIG,
                 "raft config: no voters (set controller.quorum.voters)");
  }
  std::unique_ptr<Raft> raft(new Raft(config, storage, std::move(conf), random));
  FERRY_TRY(raft->load_hard_state(initial.hard_state, initial.snapshot.index));
  raft->become_follower(raft->term_, kNoNode);
  return raft;
}

Raft::Raft(const Config& config, const LogStorage& storage, ConfState conf, Random& random)
    : config_(config),
      random_(random),
      log_(storage),
      tracker_(std::move(conf), config.max_inflight_appends, config.max_inflight_bytes),
      id_(config.id) {}

Status Raft::load_hard_state(const HardState& state, LogIndex snapshot_index) {
  const LogIndex first = log_.first_index();
  const LogIndex last = log_.last_index();
  if (snapshot_index < first - 1 || snapshot_index > last) {
    return Error(ErrorCode::KAFKA_STORAGE_ERROR,
                 fmt::format("raft: stored snapshot at {} outside the stored log [{}, {}]",
                             snapshot_index, first - 1, last));
  }
  // The state machine stands at the snapshot unless the driver says it applied more.
  const LogIndex applied = config_.applied > LogIndex(0) ? config_.applied : snapshot_index;
  if (applied < first - 1 || applied > last) {
    return Error(ErrorCode::INVALID_CONFIG,
                 fmt::format("raft config: applied {} outside the stored log [{}, {}]", applied,
                             first - 1, last));
  }
  // Whatever was snapshotted or applied is committed by definition.
  const LogIndex commit = std::max(state.commit, applied);
  if (commit > last) {
    return Error(
        ErrorCode::KAFKA_STORAGE_ERROR,
        fmt::format("raft: stored commit index {} is past the last stored entry {}", commit, last));
  }
  term_ = state.term;
  vote_ = state.vote;
  log_.commit_to(commit);
  log_.applied_to(applied);
  RAFT_LOG(info, "starting: vote={} commit={} applied={} log=[{}, {}] voters={}", vote_, commit,
           applied, first, last, fmt::join(tracker_.config().voters, ","));
  return ok_status();
}

// --- Role transitions (paper 5.1, 5.2) ---------------------------------------------------------

void Raft::reset(Term term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNoNode;
  }
  leader_ = kNoNode;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_randomized_election_timeout();
  abort_leader_transfer();
  tracker_.reset_votes();
  tracker_.reset_progress(log_.last_index() + 1, id_, log_.last_stable_index());
  read_index_queue_.clear();
  pending_reads_.clear();
}

void Raft::reset_randomized_election_timeout() {
  const int64_t timeout = config_.election_timeout_ticks;
  randomized_election_timeout_ =
      timeout + static_cast<int64_t>(random_.uniform(static_cast<uint64_t>(timeout)));
}

void Raft::become_follower(Term term, NodeId leader) {
  const bool changed = role_ != Role::kFollower || term != term_ || leader != leader_;
  reset(term);
  role_ = Role::kFollower;
  leader_ = leader;
  if (changed) RAFT_LOG(info, "became follower, leader={}", leader);
}

void Raft::become_pre_candidate() {
  FERRY_ASSERT(role_ != Role::kLeader, "leader cannot become pre-candidate");
  // Pre-vote changes neither the term nor the vote (thesis 9.6).
  tracker_.reset_votes();
  role_ = Role::kPreCandidate;
  leader_ = kNoNode;
  RAFT_LOG(info, "became pre-candidate");
}

void Raft::become_candidate() {
  FERRY_ASSERT(role_ != Role::kLeader, "leader cannot become candidate");
  reset(term_ + 1);
  vote_ = id_;
  role_ = Role::kCandidate;
  RAFT_LOG(info, "became candidate");
}

void Raft::become_leader() {
  FERRY_ASSERT(role_ == Role::kCandidate, "only a candidate becomes leader, not a {}",
               role_name(role_));
  reset(term_);
  leader_ = id_;
  role_ = Role::kLeader;
  tracker_.progress(id_)->become_replicate();
  // The no-op of the new term (paper 5.4.2, thesis 6.4): committing it commits every earlier
  // entry and makes read-index possible.
  append_entry(EntryType::kLeaderNoop, {});
  RAFT_LOG(info, "became leader, log ends at {}", log_.last_index());
}

// --- Ticks ---------------------------------------------------------------------------------------

void Raft::tick() {
  if (role_ == Role::kLeader) {
    tick_heartbeat();
  } else {
    tick_election();
  }
}

void Raft::tick_election() {
  ++election_elapsed_;
  if (promotable() && election_elapsed_ >= randomized_election_timeout_) {
    election_elapsed_ = 0;
    hup(config_.pre_vote ? CampaignKind::kPreElection : CampaignKind::kElection);
  }
}

void Raft::tick_heartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= config_.election_timeout_ticks) {
    election_elapsed_ = 0;
    if (config_.check_quorum) {
      check_quorum_active();
      if (role_ != Role::kLeader) return;
    }
    if (lead_transferee_ != kNoNode) {
      RAFT_LOG(info, "leadership transfer to {} timed out", lead_transferee_);
      abort_leader_transfer();
    }
  }
  tick_snapshot_timeouts();
  if (heartbeat_elapsed_ >= config_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    bcast_heartbeat();
  }
}

void Raft::campaign_now() {
  hup(config_.pre_vote ? CampaignKind::kPreElection : CampaignKind::kElection);
}

// --- Step: the term rules (paper 5.1) ----------------------------------------------------------

Status Raft::step(const Message& m) {
  FERRY_TRY(validate_message(m));
  if (m.to != id_) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("raft message for node {} delivered to node {}", m.to, id_));
  }
  if (m.term > term_) {
    if (!step_higher_term(m)) return ok_status();
  } else if (m.term < term_) {
    step_lower_term(m);
    return ok_status();
  }
  if (m.type == MessageType::kVote || m.type == MessageType::kPreVote) {
    handle_vote_request(m);
    return ok_status();
  }
  return step_by_role(m);
}

// Returns false when the message is to be ignored.
bool Raft::step_higher_term(const Message& m) {
  const bool vote_request = m.type == MessageType::kVote || m.type == MessageType::kPreVote;
  if (vote_request && !m.transfer) {
    // Leader stickiness (thesis 6.2, 9.6): if we heard from a leader within the minimum
    // election timeout, a candidate is not needed; ignore it without changing term.
    const bool in_lease = config_.check_quorum && leader_ != kNoNode &&
                          election_elapsed_ < config_.election_timeout_ticks;
    if (in_lease) {
      RAFT_LOG(debug, "ignoring {} from {}: leader {} is alive", message_type_name(m.type), m.from,
               leader_);
      return false;
    }
  }
  // A pre-vote request never changes our term; a granted pre-vote carries the future term the
  // pre-candidate asked about, which is not a real term yet.
  if (m.type == MessageType::kPreVote) return true;
  if (m.type == MessageType::kPreVoteResponse && !m.reject) return true;
  RAFT_LOG(info, "received {} from {} with higher term {}", message_type_name(m.type), m.from,
           m.term);
  const bool from_leader = m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat ||
                           m.type == MessageType::kInstallSnapshot;
  become_follower(m.term, from_leader ? m.from : kNoNode);
  return true;
}

void Raft::step_lower_term(const Message& m) {
  if ((config_.check_quorum || config_.pre_vote) &&
      (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat)) {
    // A stale leader (or we moved on while partitioned and cannot win because of pre-vote or
    // leader stickiness): tell it our term so it steps down and a fresh election can include us.
    Message response;
    response.type = MessageType::kAppendResponse;
    response.to = m.from;
    send(std::move(response));
  } else if (m.type == MessageType::kPreVote) {
    Message response;
    response.type = MessageType::kPreVoteResponse;
    response.to = m.from;
    response.term = term_;
    response.reject = true;
    send(std::move(response));
  } else {
    RAFT_LOG(debug, "ignoring stale {}", describe(m));
  }
}

Status Raft::step_by_role(const Message& m) {
  switch (role_) {
    case Role::kLeader:
      return step_leader(m);
    case Role::kPreCandidate:
    case Role::kCandidate:
      return step_candidate(m);
    case Role::kFollower:
      return step_follower(m);
  }
  return ok_status();
}

Status Raft::step_leader(const Message& m) {
  if (m.type == MessageType::kReadIndex) {
    handle_read_index_request(m.from, m.context);
    return ok_status();
  }
  if (m.type == MessageType::kAppend || m.type == MessageType::kInstallSnapshot ||
      m.type == MessageType::kHeartbeat) {
    RAFT_LOG(error, "another leader {} in our term sent {}", m.from, describe(m));
    return Error(
        ErrorCode::INVALID_REQUEST,
        fmt::format("node {} claims leadership of term {} led by node {}", m.from, term_, id_));
  }
  Progress* pr = tracker_.progress(m.from);
  if (pr == nullptr) return ok_status();  // not a voter: nothing to track
  switch (m.type) {
    case MessageType::kAppendResponse:
    case MessageType::kInstallSnapshotResponse:
      return handle_append_response(m, *pr);
    case MessageType::kHeartbeatResponse:
      handle_heartbeat_response(m, *pr);
      return ok_status();
    default:
      return ok_status();  // stale vote responses, TimeoutNow, ...: nothing to do
  }
}

Status Raft::step_candidate(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      become_follower(m.term, m.from);  // m.term == term_: a leader won this term
      return handle_append(m);
    case MessageType::kHeartbeat:
      become_follower(m.term, m.from);
      handle_heartbeat(m);
      return ok_status();
    case MessageType::kInstallSnapshot:
      become_follower(m.term, m.from);
      handle_snapshot(m);
      return ok_status();
    case MessageType::kPreVoteResponse:
    case MessageType::kVoteResponse:
      handle_vote_response(m);
      return ok_status();
    default:
      return ok_status();
  }
}

Status Raft::step_follower(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      election_elapsed_ = 0;
      leader_ = m.from;
      return handle_append(m);
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      leader_ = m.from;
      handle_heartbeat(m);
      return ok_status();
    case MessageType::kInstallSnapshot:
      election_elapsed_ = 0;
      leader_ = m.from;
      handle_snapshot(m);
      return ok_status();
    case MessageType::kTimeoutNow:
      RAFT_LOG(info, "leader {} asked us to take over (TimeoutNow)", m.from);
      // Transfer campaigns skip pre-vote: the leader itself asked, nothing is partitioned.
      hup(CampaignKind::kTransfer);
      return ok_status();
    case MessageType::kReadIndexResponse:
      read_states_.push_back(ReadState{m.index, m.context});
      return ok_status();
    default:
      return ok_status();
  }
}

void Raft::send(Message m) {
  m.from = id_;
  // Vote-family messages carry an explicit term (see message.h); everything else ours.
  const bool explicit_term = m.type == MessageType::kPreVote || m.type == MessageType::kVote ||
                             m.type == MessageType::kPreVoteResponse ||
                             m.type == MessageType::kVoteResponse;
  if (!explicit_term) m.term = term_;
  messages_.push_back(std::move(m));
}

void Raft::on_persisted(std::optional<EntryId> last_entry, std::optional<LogIndex> snapshot_index) {
  if (snapshot_index) log_.stable_snap_to(*snapshot_index);
  if (last_entry) log_.stable_to(*last_entry);
  if (role_ != Role::kLeader) return;
  // The leader's own acknowledgement counts only for entries on its disk.
  Progress* self = tracker_.progress(id_);
  if (self != nullptr && self->maybe_update(log_.last_stable_index()) && maybe_commit()) {
    release_pending_read_index_requests();
    bcast_append();
  }
}

}  // namespace ferry::raft
