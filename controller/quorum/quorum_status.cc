#include "controller/quorum/quorum_status.h"

#include <fmt/format.h>

#include <algorithm>

namespace ferry::controller {

void QuorumStatus::track(const raft::NodeStatus& status, int64_t now_ms) {
  for (const auto& pr : status.progress) {
    if (pr.id == status.id || pr.match >= status.commit) last_caught_up_ms_[pr.id] = now_ms;
    if (pr.id == status.id || pr.recent_active) last_contact_ms_[pr.id] = now_ms;
  }
}

void QuorumStatus::reset() {
  last_caught_up_ms_.clear();
  last_contact_ms_.clear();
}

QuorumDescription QuorumStatus::describe(const Inputs& in, int64_t now_ms) const {
  const raft::NodeStatus& status = in.raft;
  QuorumDescription d;
  d.cluster_id = in.cluster_id;
  d.leader_id = status.id;
  d.leader_epoch = status.term.value();
  d.high_watermark = status.commit.value();
  d.log_start_offset = in.log_start_offset;
  auto ago = [now_ms](const std::map<NodeId, int64_t>& times, NodeId id) -> int64_t {
    const auto it = times.find(id);
    return it == times.end() ? -1 : now_ms - it->second;
  };
  for (const auto& voter : in.voters) {
    VoterDescription v;
    v.id = voter.id;
    v.address = voter.address();
    for (const auto& pr : status.progress) {
      if (pr.id != voter.id) continue;
      v.log_end_offset = pr.id == status.id ? status.last_index.value() : pr.match.value();
      v.lag = std::max<int64_t>(0, status.commit.value() - v.log_end_offset);
      // kafka-metadata-quorum's words; a follower the leader is not streaming to says how it is
      // being caught up.
      if (pr.id == status.id) {
        v.state = "Leader";
      } else if (pr.state == raft::ProgressState::kReplicate) {
        v.state = "Follower";
      } else {
        v.state = fmt::format("Follower ({})", raft::progress_state_name(pr.state));
      }
    }
    v.last_caught_up_ms_ago = ago(last_caught_up_ms_, voter.id);
    v.last_fetch_ms_ago = ago(last_contact_ms_, voter.id);
    if (voter.id == status.id) {
      d.voters.insert(d.voters.begin(), std::move(v));
    } else {
      d.voters.push_back(std::move(v));
    }
  }
  for (const auto& [id, o] : in.observers) {
    VoterDescription v;
    v.id = id;
    v.log_end_offset = o.log_end.value();
    v.lag = std::max<int64_t>(0, status.commit.value() - v.log_end_offset);
    v.last_fetch_ms_ago = now_ms - o.last_fetch_ms;
    v.last_caught_up_ms_ago = o.last_caught_up_ms < 0 ? -1 : now_ms - o.last_caught_up_ms;
    v.state = "Observer";
    d.observers.push_back(std::move(v));
  }
  return d;
}

}  // namespace ferry::controller
