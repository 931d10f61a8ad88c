#include "replication/leader_state.h"

#include <algorithm>

#include "common/assert.h"

namespace ferry::replication {

namespace {
bool contains(const std::vector<NodeId>& v, NodeId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}
}  // namespace

std::optional<storage::EpochEndOffset> follower_divergence(const FetchPosition& position,
                                                           const LocalLog& leader_log) {
  if (position.last_fetched_epoch.value() < 0) {
    if (position.fetch_offset <= leader_log.log_end) return std::nullopt;
    return storage::EpochEndOffset{leader_log.latest_epoch, leader_log.log_end};
  }
  const storage::EpochEndOffset ours = leader_log.end_offset_for(position.last_fetched_epoch);
  if (ours.epoch < position.last_fetched_epoch || ours.end_offset < position.fetch_offset) {
    return ours;
  }
  return std::nullopt;
}

LeaderState::LeaderState(NodeId self, const PartitionAssignment& assignment, AckMode mode,
                         Offset initial_hw, Offset epoch_start_offset, Offset log_end,
                         Offset durable_end, int64_t now_ms)
    : self_(self),
      assignment_(assignment),
      mode_(mode),
      high_watermark_(std::min(initial_hw, log_end)),
      epoch_start_offset_(epoch_start_offset) {
  FERRY_ASSERT(assignment_.leader == self_, "leader state for {} but the leader is {}", self_,
               assignment_.leader);
  FERRY_ASSERT(contains(assignment_.isr, self_), "leader {} is not in its ISR", self_);
  for (NodeId id : assignment_.isr) {
    FERRY_ASSERT(contains(assignment_.replicas, id), "ISR member {} is not a replica", id);
  }
  ReplicaPosition local;
  local.log_end = log_end;
  local.durable_end = std::min(durable_end, log_end);
  local.last_caught_up_ms = now_ms;
  positions_[self_] = local;
  sync_positions_with_replicas(now_ms);
  // A new leader may know a HW above what it can prove now: it keeps it (never backwards) and
  // advances once the ISR has caught up.
  (void)recompute_high_watermark();
}

// Followers start unknown (position 0): the HW cannot pass what they have not reported. ISR
// members get a full replica.lag.time.max.ms before they count as lagging (Kafka resets
// lastCaughtUpTimeMs to the election time for them).
void LeaderState::sync_positions_with_replicas(int64_t now_ms) {
  for (NodeId id : assignment_.replicas) {
    if (positions_.contains(id)) continue;
    ReplicaPosition p;
    p.last_caught_up_ms = contains(assignment_.isr, id) ? now_ms : 0;
    p.last_fetch_ms = now_ms;
    p.last_fetch_leader_log_end = positions_.at(self_).log_end;
    positions_[id] = p;
  }
  std::erase_if(positions_, [&](const auto& entry) {
    return entry.first != self_ && !contains(assignment_.replicas, entry.first);
  });
}

std::vector<NodeId> LeaderState::maximal_isr() const {
  std::vector<NodeId> out = assignment_.isr;
  if (in_flight_) {
    for (NodeId id : in_flight_->new_isr) {
      if (!contains(out, id) && positions_.contains(id)) out.push_back(id);
    }
  }
  return out;
}

const ReplicaPosition* LeaderState::position(NodeId replica) const {
  const auto it = positions_.find(replica);
  return it == positions_.end() ? nullptr : &it->second;
}

Offset LeaderState::acknowledged_end(const ReplicaPosition& p) const {
  return mode_ == AckMode::kDurable ? std::min(p.durable_end, p.log_end) : p.log_end;
}

std::optional<Offset> LeaderState::recompute_high_watermark() {
  Offset candidate = Offset::max();
  for (NodeId id : maximal_isr()) {
    const auto it = positions_.find(id);
    // An ISR member we hold no position for (not a replica any more) holds the HW still: the
    // assignment that removes it from the replicas removes it from the ISR too.
    candidate =
        std::min(candidate, it == positions_.end() ? Offset(0) : acknowledged_end(it->second));
  }
  if (candidate <= high_watermark_) return std::nullopt;
  high_watermark_ = candidate;
  return high_watermark_;
}

std::optional<Offset> LeaderState::on_local_append(Offset log_end, int64_t now_ms) {
  auto& p = positions_.at(self_);
  FERRY_ASSERT(log_end >= p.log_end, "leader log end went back from {} to {}", p.log_end, log_end);
  p.log_end = log_end;
  p.last_caught_up_ms = now_ms;
  return recompute_high_watermark();
}

std::optional<Offset> LeaderState::on_local_durable(Offset durable_end, int64_t now_ms) {
  auto& p = positions_.at(self_);
  p.durable_end = std::min(std::max(p.durable_end, durable_end), p.log_end);
  p.last_caught_up_ms = now_ms;
  return recompute_high_watermark();
}

std::optional<Offset> LeaderState::on_follower_fetch(NodeId follower, BrokerEpoch broker_epoch,
                                                     Offset fetch_offset, Offset durable_end,
                                                     int64_t now_ms) {
  const auto it = positions_.find(follower);
  if (it == positions_.end() || follower == self_) return std::nullopt;  // not a follower
  auto& p = it->second;
  const Offset leader_end = positions_.at(self_).log_end;
  fetch_offset = std::min(fetch_offset, leader_end);
  // Kafka's lag rule: caught up now, or as of the previous fetch if this one reached what the
  // leader had then (the follower cannot see appends made while its fetch was on the wire).
  if (fetch_offset >= leader_end) {
    p.last_caught_up_ms = std::max(p.last_caught_up_ms, now_ms);
  } else if (fetch_offset >= p.last_fetch_leader_log_end) {
    p.last_caught_up_ms = std::max(p.last_caught_up_ms, p.last_fetch_ms);
  }
  p.last_fetch_leader_log_end = leader_end;
  p.last_fetch_ms = now_ms;
  p.broker_epoch = broker_epoch;
  p.log_end = fetch_offset;
  p.durable_end = std::min(durable_end, fetch_offset);
  return recompute_high_watermark();
}

std::optional<Offset> LeaderState::on_assignment(const PartitionAssignment& assignment,
                                                 Offset epoch_start_offset, int64_t now_ms) {
  if (assignment.partition_epoch < assignment_.partition_epoch) return std::nullopt;  // stale
  FERRY_ASSERT(assignment.leader == self_, "assignment led by {} applied to leader {}",
               assignment.leader, self_);
  FERRY_ASSERT(contains(assignment.isr, self_), "committed ISR excludes its leader {}", self_);
  if (assignment.leader_epoch != assignment_.leader_epoch) epoch_start_offset_ = epoch_start_offset;
  assignment_ = assignment;
  sync_positions_with_replicas(now_ms);
  if (in_flight_ && assignment_.partition_epoch > in_flight_->partition_epoch) in_flight_.reset();
  return recompute_high_watermark();
}

std::optional<Offset> LeaderState::on_alter_partition_result(
    const std::optional<PartitionAssignment>& state, int64_t now_ms) {
  in_flight_.reset();
  if (state && state->leader == self_ && state->leader_epoch == assignment_.leader_epoch &&
      state->partition_epoch > assignment_.partition_epoch) {
    return on_assignment(*state, epoch_start_offset_, now_ms);
  }
  return recompute_high_watermark();
}

bool LeaderState::caught_up(const ReplicaPosition& p, int64_t now_ms, int64_t max_lag_ms) const {
  return p.log_end >= positions_.at(self_).log_end || now_ms - p.last_caught_up_ms <= max_lag_ms;
}

bool LeaderState::may_join(NodeId replica,
                           const std::map<NodeId, BrokerEndpoint>& live_brokers) const {
  const auto& p = positions_.at(replica);
  const auto live = live_brokers.find(replica);
  if (live == live_brokers.end() || p.broker_epoch.value() < 0 ||
      live->second.epoch != p.broker_epoch) {
    return false;  // fenced, unknown, or its fetches come from another incarnation (KIP-903)
  }
  // In durable mode the joiner must also have fsynced up to the HW: once in the ISR it may be
  // elected, and everything below the HW must survive its power loss.
  return acknowledged_end(p) >= high_watermark_ && p.log_end >= epoch_start_offset_;
}

IsrProposal LeaderState::propose(std::vector<NodeId> new_isr) {
  IsrProposal proposal{assignment_.leader_epoch, assignment_.partition_epoch, {}, {}};
  // Replica order, so that an unchanged set compares equal to the committed ISR.
  for (NodeId id : assignment_.replicas) {
    if (!contains(new_isr, id)) continue;
    proposal.new_isr.push_back(id);
    proposal.member_epochs.push_back(id == self_ ? BrokerEpoch(-1)
                                                 : positions_.at(id).broker_epoch);
  }
  in_flight_ = proposal;
  return proposal;
}

std::optional<IsrProposal> LeaderState::next_isr_change(
    int64_t now_ms, int64_t max_lag_ms, const std::map<NodeId, BrokerEndpoint>& live_brokers) {
  if (in_flight_) return std::nullopt;
  std::vector<NodeId> kept;
  for (NodeId id : assignment_.isr) {
    if (id == self_ || caught_up(positions_.at(id), now_ms, max_lag_ms)) kept.push_back(id);
  }
  if (kept.size() < assignment_.isr.size()) return propose(std::move(kept));
  std::vector<NodeId> grown = assignment_.isr;
  for (NodeId id : assignment_.replicas) {
    if (!contains(grown, id) && may_join(id, live_brokers)) grown.push_back(id);
  }
  if (grown.size() > assignment_.isr.size()) return propose(std::move(grown));
  return std::nullopt;
}

}  // namespace ferry::replication
