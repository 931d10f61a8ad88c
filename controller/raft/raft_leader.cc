// Raft: the leader's work. Proposals, log replication with flow control and conflict back-off
// (paper 5.3, thesis 3.5), commitment by counting (5.4.2), heartbeats, check-quorum (thesis 6.2),
// read index (thesis 6.4), leadership transfer (thesis 3.10), snapshots to lagging followers (7).
#include <fmt/format.h>

#include "controller/raft/raft.h"
#include "controller/raft/raft_logging.h"

namespace ferry::raft {

Error Raft::not_leader_error(std::string_view action) const {
  if (leader_ != kNoNode && leader_ != id_) {
    return Error(ErrorCode::NOT_CONTROLLER,
                 fmt::format("cannot {}: node {} is not the active controller; node {} is the "
                             "leader of term {}",
                             action, id_, leader_, term_));
  }
  return Error(ErrorCode::NOT_CONTROLLER,
               fmt::format("cannot {}: node {} is not the active controller and knows no leader "
                           "in term {}",
                           action, id_, term_));
}

// --- Proposals -----------------------------------------------------------------------------------

Result<EntryId> Raft::propose(Bytes data) {
  if (role_ != Role::kLeader) return not_leader_error("propose");
  if (lead_transferee_ != kNoNode) {
    return Error(ErrorCode::NOT_CONTROLLER,
                 fmt::format("cannot propose: node {} is handing leadership to node {}", id_,
                             lead_transferee_));
  }
  append_entry(EntryType::kNormal, std::move(data));
  bcast_append();
  return log_.last_entry_id();
}

void Raft::append_entry(EntryType type, Bytes data) {
  // Our own progress moves when the entry is persisted (on_persisted), not here.
  log_.append({Entry{term_, log_.last_index() + 1, type, std::move(data)}});
}

// --- Replication ---------------------------------------------------------------------------------

void Raft::bcast_append() {
  for (const auto& [id, pr] : tracker_.all_progress()) {
    if (id != id_) maybe_send_append(id);
  }
}

bool Raft::maybe_send_append(NodeId to) {
  Progress& pr = *tracker_.progress(to);
  const LogIndex last = log_.last_index();
  const LogIndex commit = log_.committed();
  if (!pr.should_send_append(last, commit)) return false;
  const LogIndex prev = pr.next - 1;
  Result<Term> prev_term = log_.term(prev);
  if (!prev_term.ok()) return send_snapshot(to, pr);  // the follower needs compacted entries
  std::vector<Entry> entries;
  if (pr.can_send_entries(last)) {
    const LogIndex hi =
        std::min(last + 1, pr.next + static_cast<int64_t>(config_.max_append_entries));
    Result<std::vector<Entry>> slice = log_.slice(pr.next, hi, config_.max_append_bytes);
    if (!slice.ok()) return send_snapshot(to, pr);
    entries = std::move(slice).value();
  }
  const size_t count = entries.size();
  const uint64_t bytes = entries_size_bytes(entries);
  Message m;
  m.type = MessageType::kAppend;
  m.to = to;
  m.index = prev;
  m.log_term = *prev_term;
  m.commit = commit;
  m.entries = std::move(entries);
  send(std::move(m));
  pr.sent_append(count, bytes, commit);
  return true;
}

bool Raft::send_snapshot(NodeId to, Progress& pr) {
  if (!pr.recent_active) {
    RAFT_LOG(debug, "not sending a snapshot to {}: not recently active", to);
    return false;
  }
  Result<Snapshot> snapshot = log_.snapshot();
  if (!snapshot.ok() || snapshot->empty()) {
    RAFT_LOG(info, "follower {} needs a snapshot, none available yet: {}", to,
             snapshot.ok() ? "empty" : snapshot.error().to_string());
    return false;
  }
  const LogIndex index = snapshot->metadata.index;
  Message m;
  m.type = MessageType::kInstallSnapshot;
  m.to = to;
  m.snapshot = std::move(snapshot).value();
  send(std::move(m));
  pr.become_snapshot(index);
  RAFT_LOG(info, "sent snapshot at {} to {} (its match {})", index, to, pr.match);
  return true;
}

bool Raft::maybe_commit() {
  // Paper 5.4.2 / Figure 8: only an entry of the current term is committed by counting; earlier
  // entries are committed with it (Log Matching).
  return log_.maybe_commit(EntryId{term_, tracker_.committed_index()});
}

Status Raft::handle_append_response(const Message& m, Progress& pr) {
  pr.recent_active = true;
  if (m.reject) {
    handle_append_rejection(m, pr);
    return ok_status();
  }
  if (m.index > log_.last_index()) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("node {} acknowledged index {} past our last index {}", m.from,
                             m.index, log_.last_index()));
  }
  const bool moved = pr.maybe_update(m.index);
  if (!moved && !(pr.match == m.index && pr.state == ProgressState::kProbe)) return ok_status();
  switch (pr.state) {
    case ProgressState::kProbe:
      pr.become_replicate();
      break;
    case ProgressState::kSnapshot:
      if (pr.match + 1 >= log_.first_index()) {
        RAFT_LOG(info, "follower {} caught up from the snapshot (match {})", m.from, pr.match);
        pr.become_probe();
        pr.become_replicate();
      }
      break;
    case ProgressState::kReplicate:
      pr.inflights.free_le(m.index);
      break;
  }
  if (maybe_commit()) {
    release_pending_read_index_requests();
    bcast_append();
  }
  while (maybe_send_append(m.from)) {
  }
  if (m.from == lead_transferee_ && pr.match == log_.last_index()) send_timeout_now(m.from);
  return ok_status();
}

void Raft::handle_append_rejection(const Message& m, Progress& pr) {
  // The hint is the follower's guess of where our logs may match; with its term we can skip
  // every index of ours whose term is larger (a probe there must fail too).
  LogIndex next_probe = m.reject_hint;
  if (m.log_term > Term(0))
    next_probe = log_.find_conflict_by_term(m.reject_hint, m.log_term).index;
  if (!pr.maybe_decr_to(m.index, next_probe)) return;  // stale rejection
  RAFT_LOG(debug, "follower {} rejected append at {}; probing from {}", m.from, m.index, pr.next);
  if (pr.state == ProgressState::kReplicate) pr.become_probe();
  maybe_send_append(m.from);
}

// --- Heartbeats, check-quorum --------------------------------------------------------------------

void Raft::bcast_heartbeat() {
  const Bytes* context = read_index_queue_.last_context();
  for (const auto& [id, pr] : tracker_.all_progress()) {
    if (id == id_) continue;
    Message m;
    m.type = MessageType::kHeartbeat;
    m.to = id;
    // Never tell a follower to commit past what it is known to share with us.
    m.commit = std::min(pr.match, log_.committed());
    if (context != nullptr) m.context = *context;
    send(std::move(m));
  }
}

void Raft::handle_heartbeat_response(const Message& m, Progress& pr) {
  pr.recent_active = true;
  pr.append_paused = false;  // allows one probe, even if all entries seemed in flight
  if (pr.match < log_.last_index() || pr.state == ProgressState::kProbe) maybe_send_append(m.from);
  if (m.context.empty()) return;
  const std::set<NodeId>* acks = read_index_queue_.record_ack(m.from, m.context);
  if (acks == nullptr) return;
  std::map<NodeId, bool> votes;
  for (NodeId id : *acks)
    votes[id] = true;
  if (majority_vote_result(tracker_.config().voters, votes) != VoteResult::kWon) return;
  for (ReadIndexRequest& request : read_index_queue_.release_through(m.context)) {
    answer_read_index(request.from, std::move(request.context), request.index);
  }
}

void Raft::check_quorum_active() {
  if (tracker_.quorum_active_and_reset(id_)) return;
  RAFT_LOG(info, "stepping down: did not hear from a majority within {} ticks",
           config_.election_timeout_ticks);
  become_follower(term_, kNoNode);
}

void Raft::tick_snapshot_timeouts() {
  for (auto& [id, pr] : tracker_.all_progress()) {
    if (pr.state != ProgressState::kSnapshot) continue;
    if (++pr.snapshot_ticks >= config_.snapshot_timeout_ticks()) {
      RAFT_LOG(info, "snapshot at {} to {} unacknowledged; probing again", pr.pending_snapshot, id);
      pr.pending_snapshot = LogIndex(0);  // assume lost: probe from match
      pr.become_probe();
    }
  }
}

void Raft::report_snapshot(NodeId to, bool delivered) {
  Progress* pr = role_ == Role::kLeader ? tracker_.progress(to) : nullptr;
  if (pr == nullptr || pr->state != ProgressState::kSnapshot) return;
  if (!delivered) pr->pending_snapshot = LogIndex(0);
  pr->become_probe();
  pr->append_paused = true;  // wait for the follower's answer or the next heartbeat response
}

void Raft::report_unreachable(NodeId to) {
  Progress* pr = role_ == Role::kLeader ? tracker_.progress(to) : nullptr;
  if (pr != nullptr && pr->state == ProgressState::kReplicate) pr->become_probe();
}

// --- Read index (thesis 6.4) ---------------------------------------------------------------------

Status Raft::read_index(Bytes context) {
  if (role_ == Role::kLeader) {
    handle_read_index_request(id_, std::move(context));
    return ok_status();
  }
  if (leader_ == kNoNode) return not_leader_error("serve a linearizable read");
  Message m;
  m.type = MessageType::kReadIndex;
  m.to = leader_;
  m.context = std::move(context);
  send(std::move(m));
  return ok_status();
}

bool Raft::committed_entry_in_current_term() const {
  return log_.term_or_zero(log_.committed()) == term_;
}

void Raft::handle_read_index_request(NodeId from, Bytes context) {
  // Until our no-op commits, our commit index may be behind an earlier leader's.
  if (!committed_entry_in_current_term()) {
    pending_reads_.push_back(PendingRead{from, std::move(context)});
    return;
  }
  if (tracker_.is_singleton()) {
    answer_read_index(from, std::move(context), log_.committed());
    return;
  }
  if (read_index_queue_.add(from, std::move(context), log_.committed(), id_)) bcast_heartbeat();
}

void Raft::answer_read_index(NodeId from, Bytes context, LogIndex index) {
  if (from == id_) {
    read_states_.push_back(ReadState{index, std::move(context)});
    return;
  }
  Message m;
  m.type = MessageType::kReadIndexResponse;
  m.to = from;
  m.index = index;
  m.context = std::move(context);
  send(std::move(m));
}

void Raft::release_pending_read_index_requests() {
  if (pending_reads_.empty() || !committed_entry_in_current_term()) return;
  for (PendingRead& read : std::exchange(pending_reads_, {})) {
    handle_read_index_request(read.from, std::move(read.context));
  }
}

// --- Leadership transfer (thesis 3.10) -----------------------------------------------------------

Status Raft::transfer_leadership(NodeId target) {
  if (role_ != Role::kLeader) return not_leader_error("transfer leadership");
  if (!tracker_.is_voter(target)) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("cannot transfer leadership to node {}: not a voter", target));
  }
  if (target == id_ || target == lead_transferee_) return ok_status();
  if (lead_transferee_ != kNoNode) {
    RAFT_LOG(info, "abandoning leadership transfer to {}", lead_transferee_);
  }
  // The transfer must finish within an election timeout, or it is abandoned (tick_heartbeat).
  election_elapsed_ = 0;
  lead_transferee_ = target;
  RAFT_LOG(info, "transferring leadership to {}", target);
  if (tracker_.progress(target)->match == log_.last_index()) {
    send_timeout_now(target);
  } else {
    maybe_send_append(target);  // TimeoutNow follows once it has caught up
  }
  return ok_status();
}

void Raft::send_timeout_now(NodeId to) {
  Message m;
  m.type = MessageType::kTimeoutNow;
  m.to = to;
  send(std::move(m));
}

}  // namespace ferry::raft
