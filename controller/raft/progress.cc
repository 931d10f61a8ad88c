#include "controller/raft/progress.h"

#include <algorithm>

#include "common/assert.h"

namespace ferry::raft {

// --- Inflights
// -------------------------------------------------------------------------------------

void Inflights::add(LogIndex last_index, uint64_t bytes) {
  FERRY_ASSERT(messages_.empty() || messages_.back().last_index < last_index,
               "inflight {} added out of order", last_index);
  messages_.push_back(InFlight{last_index, bytes});
  bytes_ += bytes;
}

void Inflights::free_le(LogIndex index) {
  while (!messages_.empty() && messages_.front().last_index <= index) {
    bytes_ -= messages_.front().bytes;
    messages_.pop_front();
  }
}

void Inflights::reset() {
  messages_.clear();
  bytes_ = 0;
}

bool Inflights::full() const {
  return messages_.size() >= max_count_ || (max_bytes_ > 0 && bytes_ >= max_bytes_);
}

// --- Progress
// --------------------------------------------------------------------------------------

std::string_view progress_state_name(ProgressState state) {
  switch (state) {
    case ProgressState::kProbe:
      return "probe";
    case ProgressState::kReplicate:
      return "replicate";
    case ProgressState::kSnapshot:
      return "snapshot";
  }
  return "unknown";
}

namespace {
void reset_state(Progress& pr, ProgressState state) {
  pr.state = state;
  pr.append_paused = false;
  pr.pending_snapshot = LogIndex(0);
  pr.snapshot_ticks = 0;
  pr.inflights.reset();
}
}  // namespace

void Progress::become_probe() {
  // Coming from a snapshot, assume it was installed and probe right after it; a wrong guess
  // only costs a rejection.
  const LogIndex probe_from =
      state == ProgressState::kSnapshot ? std::max(match + 1, pending_snapshot + 1) : match + 1;
  reset_state(*this, ProgressState::kProbe);
  next = probe_from;
  sent_commit = std::min(sent_commit, next - 1);
}

void Progress::become_replicate() {
  reset_state(*this, ProgressState::kReplicate);
  next = match + 1;
  sent_commit = std::min(sent_commit, match);
}

void Progress::become_snapshot(LogIndex snapshot_index) {
  reset_state(*this, ProgressState::kSnapshot);
  pending_snapshot = snapshot_index;
}

bool Progress::maybe_update(LogIndex index) {
  if (index <= match) return false;
  match = index;
  next = std::max(next, index + 1);
  return true;
}

bool Progress::maybe_decr_to(LogIndex rejected, LogIndex match_hint) {
  if (state == ProgressState::kReplicate) {
    // Pipelined: a rejection at or below match is stale. Otherwise restart from match.
    if (rejected <= match) return false;
    next = match + 1;
    sent_commit = std::min(sent_commit, match);
    return true;
  }
  // Probing sends one Append at next-1: any other rejection is stale.
  if (next - 1 != rejected) return false;
  next = std::max(std::min(rejected, match_hint + 1), match + 1);
  sent_commit = std::min(sent_commit, next - 1);
  append_paused = false;
  return true;
}

bool Progress::can_send_entries(LogIndex last) const {
  return next <= last && (state == ProgressState::kProbe || !inflights.full());
}

bool Progress::can_bump_commit(LogIndex commit) const {
  return sent_commit < std::min(commit, next - 1);
}

bool Progress::should_send_append(LogIndex last, LogIndex commit) const {
  switch (state) {
    case ProgressState::kProbe:
      return !append_paused;
    case ProgressState::kReplicate:
      return can_bump_commit(commit) ||
             (match < last && (!append_paused || can_send_entries(last)));
    case ProgressState::kSnapshot:
      return false;
  }
  return false;
}

void Progress::sent_append(size_t count, uint64_t bytes, LogIndex commit) {
  if (state == ProgressState::kReplicate && count > 0) {
    next += static_cast<int64_t>(count);
    inflights.add(next - 1, bytes);
  }
  append_paused = true;
  sent_commit = std::min(std::max(sent_commit, commit), next - 1);
}

// --- Quorum
// ----------------------------------------------------------------------------------------

VoteResult majority_vote_result(const std::vector<NodeId>& voters,
                                const std::map<NodeId, bool>& votes) {
  if (voters.empty()) return VoteResult::kWon;  // by convention, as the empty quorum
  size_t granted = 0, rejected = 0;
  for (NodeId voter : voters) {
    auto it = votes.find(voter);
    if (it == votes.end()) continue;
    (it->second ? granted : rejected)++;
  }
  const size_t majority = voters.size() / 2 + 1;
  if (granted >= majority) return VoteResult::kWon;
  if (voters.size() - rejected < majority) return VoteResult::kLost;
  return VoteResult::kPending;
}

LogIndex majority_committed_index(const std::vector<NodeId>& voters,
                                  const std::function<LogIndex(NodeId)>& acked) {
  if (voters.empty()) return LogIndex(0);
  std::vector<LogIndex> matches;
  matches.reserve(voters.size());
  for (NodeId voter : voters)
    matches.push_back(acked(voter));
  // Sorted descending, the majority-th value is acknowledged by a majority.
  std::sort(matches.begin(), matches.end(), std::greater<>());
  return matches[voters.size() / 2];
}

// --- ProgressTracker
// -------------------------------------------------------------------------------

ProgressTracker::ProgressTracker(ConfState config, size_t max_inflight, uint64_t max_inflight_bytes)
    : config_(std::move(config)),
      max_inflight_(max_inflight),
      max_inflight_bytes_(max_inflight_bytes) {}

void ProgressTracker::reset_progress(LogIndex next, NodeId self, LogIndex self_match) {
  progress_.clear();
  for (NodeId voter : config_.voters) {
    Progress pr(next, max_inflight_, max_inflight_bytes_);
    if (voter == self) {
      pr.match = self_match;
      pr.recent_active = true;
    }
    progress_.emplace(voter, std::move(pr));
  }
}

Progress* ProgressTracker::progress(NodeId id) {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

LogIndex ProgressTracker::committed_index() const {
  return majority_committed_index(config_.voters, [this](NodeId id) {
    auto it = progress_.find(id);
    return it == progress_.end() ? LogIndex(0) : it->second.match;
  });
}

bool ProgressTracker::quorum_active_and_reset(NodeId self) {
  std::map<NodeId, bool> active;
  for (auto& [id, pr] : progress_) {
    active[id] = id == self || pr.recent_active;
    if (id != self) pr.recent_active = false;
  }
  return majority_vote_result(config_.voters, active) == VoteResult::kWon;
}

VoteResult ProgressTracker::record_vote(NodeId id, bool granted) {
  votes_.emplace(id, granted);
  return vote_result();
}

size_t ProgressTracker::votes_granted() const {
  return static_cast<size_t>(
      std::count_if(votes_.begin(), votes_.end(), [](const auto& vote) { return vote.second; }));
}

}  // namespace ferry::raft
