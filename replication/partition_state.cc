#include "replication/partition_state.h"

#include <algorithm>

#include "common/assert.h"

namespace ferry::replication {

namespace {
bool contains(const std::vector<NodeId>& v, NodeId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}
}  // namespace

LeaderState::LeaderState(NodeId self, LeaderEpoch epoch, std::vector<NodeId> replicas,
                         std::vector<NodeId> isr, AckMode mode, Offset initial_high_watermark,
                         ReplicaPosition local, int64_t now_ms)
    : self_(self),
      epoch_(epoch),
      replicas_(std::move(replicas)),
      isr_(std::move(isr)),
      mode_(mode),
      high_watermark_(initial_high_watermark) {
  FERRY_ASSERT(contains(isr_, self_), "leader {} is not in its ISR", self_);
  for (NodeId id : isr_) {
    FERRY_ASSERT(contains(replicas_, id), "ISR member {} is not a replica", id);
  }
  local.last_caught_up_ms = now_ms;
  positions_[self_] = local;
  for (NodeId id : replicas_) {
    if (id != self_) positions_[id] = ReplicaPosition{Offset(0), Offset(0), now_ms};
  }
  // A new leader may know a HW above what it can prove now: keep it (never go backwards) and
  // let it advance once the ISR catches up.
  (void)recompute_high_watermark();
}

Offset LeaderState::acknowledged_end(const ReplicaPosition& p) const {
  return mode_ == AckMode::kDurable ? std::min(p.durable_end, p.log_end) : p.log_end;
}

std::optional<Offset> LeaderState::recompute_high_watermark() {
  Offset candidate = Offset::max();
  for (NodeId id : isr_)
    candidate = std::min(candidate, acknowledged_end(positions_.at(id)));
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
  p.durable_end = std::max(p.durable_end, durable_end);
  p.last_caught_up_ms = now_ms;
  return recompute_high_watermark();
}

std::optional<Offset> LeaderState::on_follower_fetch(NodeId follower, Offset fetch_offset,
                                                     Offset follower_durable_end, int64_t now_ms) {
  const auto it = positions_.find(follower);
  if (it == positions_.end() || follower == self_) return std::nullopt;  // not a replica
  auto& p = it->second;
  p.log_end = fetch_offset;
  p.durable_end = std::min(follower_durable_end, fetch_offset);
  if (fetch_offset >= positions_.at(self_).log_end) p.last_caught_up_ms = now_ms;
  return recompute_high_watermark();
}

std::optional<Offset> LeaderState::on_isr_committed(std::vector<NodeId> isr) {
  FERRY_ASSERT(contains(isr, self_), "committed ISR excludes its leader {}", self_);
  isr_ = std::move(isr);
  return recompute_high_watermark();
}

std::vector<NodeId> LeaderState::isr_to_shrink(int64_t now_ms, int64_t max_lag_ms) const {
  std::vector<NodeId> out;
  for (NodeId id : isr_) {
    if (id == self_) continue;
    if (now_ms - positions_.at(id).last_caught_up_ms > max_lag_ms) out.push_back(id);
  }
  return out;
}

std::vector<NodeId> LeaderState::isr_to_expand() const {
  std::vector<NodeId> out;
  for (NodeId id : replicas_) {
    if (contains(isr_, id)) continue;
    if (acknowledged_end(positions_.at(id)) >= high_watermark_ &&
        positions_.at(id).log_end >= high_watermark_) {
      out.push_back(id);
    }
  }
  return out;
}

WaiterQueue::Id WaiterQueue::add(Offset needed_end) {
  const Id id = next_id_++;
  by_offset_.emplace(needed_end, id);
  by_id_.emplace(id, needed_end);
  return id;
}

void WaiterQueue::remove(Id id) {
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  auto [lo, hi] = by_offset_.equal_range(it->second);
  for (auto o = lo; o != hi; ++o) {
    if (o->second == id) {
      by_offset_.erase(o);
      break;
    }
  }
  by_id_.erase(it);
}

std::vector<WaiterQueue::Id> WaiterQueue::take_ready(Offset hw) {
  std::vector<Id> out;
  const auto end = by_offset_.upper_bound(hw);
  for (auto it = by_offset_.begin(); it != end; ++it) {
    out.push_back(it->second);
    by_id_.erase(it->second);
  }
  by_offset_.erase(by_offset_.begin(), end);
  return out;
}

std::vector<WaiterQueue::Id> WaiterQueue::take_all() {
  std::vector<Id> out;
  for (const auto& [_, id] : by_offset_)
    out.push_back(id);
  by_offset_.clear();
  by_id_.clear();
  return out;
}

}  // namespace ferry::replication
