// QuorumStatus: DescribeQuorum's answer from the Raft status and the tracked times
// (controller/quorum/quorum_status.h).
#include "controller/quorum/quorum_status.h"

#include <gtest/gtest.h>

namespace ferry::controller {
namespace {

raft::FollowerStatus progress(int id, int64_t match, raft::ProgressState state, bool active) {
  raft::FollowerStatus p;
  p.id = NodeId(id);
  p.match = LogIndex(match);
  p.state = state;
  p.recent_active = active;
  return p;
}

// Voter 2 leads at term 4 with commit 10 and log end 12; 1 is caught up and streaming, 3 is
// behind and being probed.
raft::NodeStatus leader_status() {
  raft::NodeStatus s;
  s.id = NodeId(2);
  s.role = raft::Role::kLeader;
  s.term = Term(4);
  s.commit = LogIndex(10);
  s.last_index = LogIndex(12);
  s.progress = {progress(1, 10, raft::ProgressState::kReplicate, true),
                progress(2, 12, raft::ProgressState::kReplicate, true),
                progress(3, 6, raft::ProgressState::kProbe, false)};
  return s;
}

const std::vector<VoterAddress> kVoters = {
    {NodeId(1), "h1", 9001}, {NodeId(2), "h2", 9002}, {NodeId(3), "h3", 9003}};

TEST(QuorumStatus, the_leader_comes_first_with_lags_and_kafka_metadata_quorum_states) {
  QuorumStatus q;
  const auto raft = leader_status();
  std::map<NodeId, MetadataObservers::Observer> observers;
  const auto d = q.describe({raft, kVoters, observers, "cid", 1}, 1000);
  EXPECT_EQ(d.cluster_id, "cid");
  EXPECT_EQ(d.leader_id, NodeId(2));
  EXPECT_EQ(d.leader_epoch, 4);
  EXPECT_EQ(d.high_watermark, 10);
  ASSERT_EQ(d.voters.size(), 3u);
  EXPECT_EQ(d.voters[0].id, NodeId(2));
  EXPECT_EQ(d.voters[0].state, "Leader");
  EXPECT_EQ(d.voters[0].log_end_offset, 12);
  EXPECT_EQ(d.voters[0].lag, 0);
  EXPECT_EQ(d.voters[1].id, NodeId(1));
  EXPECT_EQ(d.voters[1].state, "Follower");
  EXPECT_EQ(d.voters[1].address, "h1:9001");
  EXPECT_EQ(d.voters[2].id, NodeId(3));
  EXPECT_EQ(d.voters[2].state, "Follower (probe)");
  EXPECT_EQ(d.voters[2].lag, 4);
  // Nothing tracked yet: unknown, not zero.
  EXPECT_EQ(d.voters[1].last_caught_up_ms_ago, -1);
  EXPECT_EQ(d.voters[1].last_fetch_ms_ago, -1);
}

TEST(QuorumStatus, tracked_times_count_only_caught_up_and_recently_active_voters) {
  QuorumStatus q;
  const auto raft = leader_status();
  q.track(raft, 1000);
  std::map<NodeId, MetadataObservers::Observer> observers;
  const auto d = q.describe({raft, kVoters, observers, "", -1}, 1250);
  EXPECT_EQ(d.voters[1].last_caught_up_ms_ago, 250);  // voter 1: match == commit
  EXPECT_EQ(d.voters[1].last_fetch_ms_ago, 250);
  EXPECT_EQ(d.voters[2].last_caught_up_ms_ago, -1);  // voter 3: behind, not heard from
  EXPECT_EQ(d.voters[2].last_fetch_ms_ago, -1);
  q.reset();
  EXPECT_EQ(q.describe({raft, kVoters, observers, "", -1}, 1250).voters[1].last_fetch_ms_ago, -1);
}

TEST(QuorumStatus, observers_report_their_own_progress) {
  QuorumStatus q;
  const auto raft = leader_status();
  std::map<NodeId, MetadataObservers::Observer> observers;
  observers[NodeId(7)] = {LogIndex(8), 900, -1};
  const auto d = q.describe({raft, kVoters, observers, "", -1}, 1000);
  ASSERT_EQ(d.observers.size(), 1u);
  EXPECT_EQ(d.observers[0].id, NodeId(7));
  EXPECT_EQ(d.observers[0].state, "Observer");
  EXPECT_EQ(d.observers[0].lag, 2);
  EXPECT_EQ(d.observers[0].last_fetch_ms_ago, 100);
  EXPECT_EQ(d.observers[0].last_caught_up_ms_ago, -1);
}

}  // namespace
}  // namespace ferry::controller
