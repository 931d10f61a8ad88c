#include "controller/raft/raw_node.h"

#include <fmt/format.h>

#include "controller/raft/raft.h"

namespace ferry::raft {

Result<std::unique_ptr<RawNode>> RawNode::create(const Config& config, const LogStorage& storage,
                                                 Random& random) {
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Raft> raft, Raft::create(config, storage, random));
  return std::unique_ptr<RawNode>(new RawNode(std::move(raft)));
}

RawNode::RawNode(std::unique_ptr<Raft> raft)
    : raft_(std::move(raft)),
      prev_soft_state_(raft_->soft_state()),
      prev_hard_state_(raft_->hard_state()) {}

RawNode::~RawNode() = default;

void RawNode::tick() {
  raft_->tick();
}
Status RawNode::step(const Message& message) {
  return raft_->step(message);
}
Result<EntryId> RawNode::propose(Bytes data) {
  return raft_->propose(std::move(data));
}
Status RawNode::read_index(Bytes context) {
  return raft_->read_index(std::move(context));
}
Status RawNode::transfer_leadership(NodeId target) {
  return raft_->transfer_leadership(target);
}
void RawNode::campaign() {
  raft_->campaign_now();
}
void RawNode::report_snapshot(NodeId to, bool delivered) {
  raft_->report_snapshot(to, delivered);
}
void RawNode::report_unreachable(NodeId to) {
  raft_->report_unreachable(to);
}

NodeId RawNode::id() const {
  return raft_->id();
}
Role RawNode::role() const {
  return raft_->role();
}
Term RawNode::term() const {
  return raft_->term();
}
NodeId RawNode::leader() const {
  return raft_->leader();
}

bool RawNode::has_ready() const {
  if (outstanding_) return false;
  const RaftLog& log = raft_->log();
  const HardState hard_state = raft_->hard_state();
  return raft_->soft_state() != prev_soft_state_ ||
         (hard_state != prev_hard_state_ && !hard_state.empty()) ||
         log.pending_snapshot().has_value() || !log.unstable_entries().empty() ||
         raft_->has_messages() || raft_->has_read_states() || log.has_next_committed_entries();
}

Ready RawNode::ready() {
  FERRY_ASSERT(!outstanding_, "RawNode::ready() called again before advance()");
  const RaftLog& log = raft_->log();
  Ready rd;
  if (const SoftState soft = raft_->soft_state(); soft != prev_soft_state_) {
    rd.soft_state = soft;
    prev_soft_state_ = soft;
  }
  const HardState hard = raft_->hard_state();
  if (hard != prev_hard_state_) {
    rd.hard_state = hard;
    rd.must_sync = hard.term != prev_hard_state_.term || hard.vote != prev_hard_state_.vote;
    prev_hard_state_ = hard;
  }
  rd.snapshot = log.pending_snapshot();
  rd.entries = log.unstable_entries();
  rd.committed_entries =
      log.next_committed_entries(raft_->config().max_committed_bytes_per_ready > 0
                                     ? raft_->config().max_committed_bytes_per_ready
                                     : UINT64_MAX);
  rd.messages = raft_->take_messages();
  rd.read_states = raft_->take_read_states();
  rd.must_sync = rd.must_sync || rd.snapshot.has_value() || !rd.entries.empty();

  Outstanding out;
  if (!rd.entries.empty()) out.last_entry = rd.entries.back().id();
  if (rd.snapshot) {
    out.snapshot_index = rd.snapshot->metadata.index;
    out.applied_to = rd.snapshot->metadata.index;
  }
  if (!rd.committed_entries.empty()) out.applied_to = rd.committed_entries.back().index;
  outstanding_ = out;
  return rd;
}

void RawNode::advance() {
  FERRY_ASSERT(outstanding_.has_value(), "RawNode::advance() without an outstanding Ready");
  const Outstanding out = *outstanding_;
  outstanding_.reset();
  raft_->on_persisted(out.last_entry, out.snapshot_index);
  if (out.applied_to) raft_->on_applied(*out.applied_to);
}

Result<SnapshotMetadata> RawNode::snapshot_metadata(LogIndex index) const {
  const RaftLog& log = raft_->log();
  if (index > log.applied()) {
    return Error(
        ErrorCode::INVALID_REQUEST,
        fmt::format("snapshot index {} is past the applied index {}", index, log.applied()));
  }
  FERRY_ASSIGN_OR_RETURN(Term term, log.term(index));
  return SnapshotMetadata{index, term, raft_->tracker().config()};
}

NodeStatus RawNode::status() const {
  const RaftLog& log = raft_->log();
  NodeStatus status;
  status.id = raft_->id();
  status.role = raft_->role();
  status.term = raft_->term();
  status.vote = raft_->vote();
  status.leader = raft_->leader();
  status.lead_transferee = raft_->lead_transferee();
  status.commit = log.committed();
  status.applied = log.applied();
  status.first_index = log.first_index();
  status.last_index = log.last_index();
  status.last_term = log.last_term();
  status.conf_state = raft_->tracker().config();
  if (raft_->role() != Role::kLeader) return status;
  for (const auto& [id, pr] : raft_->tracker().all_progress()) {
    status.progress.push_back(FollowerStatus{id, pr.match, pr.next, pr.state, pr.recent_active,
                                             pr.inflights.count(), pr.pending_snapshot});
  }
  return status;
}

}  // namespace ferry::raft
