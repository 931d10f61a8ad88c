// Raft: the receiving side of replication. AppendEntries consistency check and conflict
// truncation (paper 5.3), commit from heartbeats, InstallSnapshot (paper 7).
#include <fmt/format.h>

#include "controller/raft/raft.h"
#include "controller/raft/raft_logging.h"

namespace ferry::raft {

Status Raft::handle_append(const Message& m) {
  Message response;
  response.type = MessageType::kAppendResponse;
  response.to = m.from;
  if (m.index < log_.committed()) {
    // Everything up to our commit index matches the leader's log (Leader Completeness); say so,
    // and the leader continues from there.
    response.index = log_.committed();
    send(std::move(response));
    return ok_status();
  }
  Result<std::optional<LogIndex>> appended =
      log_.maybe_append(EntryId{m.log_term, m.index}, m.commit, m.entries);
  if (!appended.ok()) {
    RAFT_LOG(error, "refusing {}: {}", describe(m), appended.error().message());
    return std::move(appended).error();
  }
  if (appended->has_value()) {
    response.index = **appended;  // persisted before this response is sent
    send(std::move(response));
    return ok_status();
  }
  // Our log does not hold (m.log_term, m.index). Hint the largest (index, term) that might match:
  // the last index <= m.index whose term <= m.log_term; the leader skips whole terms from there.
  const EntryId hint = log_.find_conflict_by_term(std::min(m.index, log_.last_index()), m.log_term);
  RAFT_LOG(debug, "rejecting append at i={} t={} (our term there {}); hint i={} t={}", m.index,
           m.log_term, log_.term_or_zero(m.index), hint.index, hint.term);
  response.index = m.index;
  response.reject = true;
  response.reject_hint = hint.index;
  response.log_term = hint.term;
  send(std::move(response));
  return ok_status();
}

void Raft::handle_heartbeat(const Message& m) {
  // m.commit <= our match on the leader, so it never exceeds our log; clamp defensively.
  log_.commit_to(std::min(m.commit, log_.last_index()));
  Message response;
  response.type = MessageType::kHeartbeatResponse;
  response.to = m.from;
  response.context = m.context;
  send(std::move(response));
}

void Raft::handle_snapshot(const Message& m) {
  const SnapshotMetadata& meta = m.snapshot->metadata;
  Message response;
  response.type = MessageType::kInstallSnapshotResponse;
  response.to = m.from;
  if (restore(*m.snapshot)) {
    RAFT_LOG(info, "installing snapshot at i={} t={} from {}", meta.index, meta.term, m.from);
    response.index = log_.last_index();
  } else {
    response.index = log_.committed();
  }
  send(std::move(response));
}

// Returns false when the snapshot is not needed (we already have its content committed, or our
// log holds its last entry, in which case we just commit up to it).
bool Raft::restore(const Snapshot& snapshot) {
  const SnapshotMetadata& meta = snapshot.metadata;
  if (meta.index <= log_.committed()) return false;
  if (role_ != Role::kFollower) {
    RAFT_LOG(error, "ignoring snapshot at {} as {}", meta.index, role_name(role_));
    return false;
  }
  if (log_.match_term(EntryId{meta.term, meta.index})) {
    log_.commit_to(meta.index);
    return false;
  }
  log_.restore(snapshot);
  tracker_ =
      ProgressTracker(meta.conf_state, config_.max_inflight_appends, config_.max_inflight_bytes);
  tracker_.reset_progress(log_.last_index() + 1, id_, LogIndex(0));
  return true;
}

}  // namespace ferry::raft
