// The RawNode driver contract (raw_node.h): what a Ready contains, what must be persisted before
// which message, how the leader counts its own entries, restart, and status.
#include <gtest/gtest.h>

#include "tests/controller/raft/raft_test_util.h"

namespace ferry::raft::test {
namespace {

TEST(RawNode,
     vote_is_persisted_in_the_same_ready_that_carries_the_vote_response_and_must_be_synced) {
  MemoryStorage storage;
  SeededRandom random(1);
  auto node = std::move(RawNode::create(make_config(1, ids({1, 2, 3})), storage, random)).value();
  Message vote = make_message(MessageType::kVote, 2, 1, 1);
  ASSERT_TRUE(node->step(vote).ok());
  ASSERT_TRUE(node->has_ready());
  Ready rd = node->ready();
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_EQ(rd.messages[0].type, MessageType::kVoteResponse);
  EXPECT_FALSE(rd.messages[0].reject);
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->vote, NodeId(2));
  EXPECT_EQ(rd.hard_state->term, Term(1));
  EXPECT_TRUE(rd.must_sync);
  node->advance();
}

TEST(RawNode, acknowledged_entries_are_persisted_in_the_same_ready_as_the_acknowledgement) {
  MemoryStorage storage;
  SeededRandom random(1);
  auto node = std::move(RawNode::create(make_config(1, ids({1, 2, 3})), storage, random)).value();
  ASSERT_TRUE(node->step(make_append(2, 1, 1, 0, 0, entries_with_terms(1, {1, 1}), 0)).ok());
  Ready rd = node->ready();
  ASSERT_EQ(rd.entries.size(), 2u);
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_EQ(rd.messages[0].index, LogIndex(2));
  EXPECT_TRUE(rd.must_sync);
}

TEST(RawNode, leader_counts_its_own_entry_toward_commit_only_after_advance_reports_it_persisted) {
  MemoryStorage storage;
  SeededRandom random(1);
  auto node = std::move(RawNode::create(make_config(1, ids({1})), storage, random)).value();
  node->campaign();
  ASSERT_EQ(node->role(), Role::kLeader);
  Ready rd = node->ready();
  ASSERT_EQ(rd.entries.size(), 1u);
  EXPECT_EQ(rd.entries[0].type, EntryType::kLeaderNoop);
  EXPECT_TRUE(rd.committed_entries.empty());
  EXPECT_EQ(node->status().commit, LogIndex(0)) << "not persisted yet: not counted";
  ASSERT_TRUE(storage.append(rd.entries).ok());
  storage.set_hard_state(*rd.hard_state);
  node->advance();
  EXPECT_EQ(node->status().commit, LogIndex(1));
  ASSERT_TRUE(node->has_ready());
  rd = node->ready();
  ASSERT_EQ(rd.committed_entries.size(), 1u);
  EXPECT_FALSE(rd.must_sync) << "only the commit index changed";
  node->advance();
  EXPECT_EQ(node->status().applied, LogIndex(1));
}

TEST(RawNode, no_ready_while_one_is_outstanding_and_later_inputs_go_to_the_next_ready) {
  MemoryStorage storage;
  SeededRandom random(1);
  auto node = std::move(RawNode::create(make_config(1, ids({1})), storage, random)).value();
  auto handle = [&](const Ready& rd) {
    ASSERT_TRUE(storage.append(rd.entries).ok());
    if (rd.hard_state) storage.set_hard_state(*rd.hard_state);
  };
  node->campaign();
  while (node->has_ready()) {
    handle(node->ready());
    node->advance();
  }
  ASSERT_TRUE(node->propose(to_bytes("a")).ok());
  Ready first = node->ready();
  EXPECT_FALSE(node->has_ready());
  ASSERT_TRUE(node->propose(to_bytes("b")).ok());  // between ready() and advance()
  ASSERT_EQ(first.entries.size(), 1u);
  EXPECT_EQ(to_string(first.entries[0].data), "a");
  handle(first);
  node->advance();
  Ready second = node->ready();
  ASSERT_EQ(second.entries.size(), 1u);
  EXPECT_EQ(to_string(second.entries[0].data), "b");
  ASSERT_EQ(second.committed_entries.size(), 1u);
  EXPECT_EQ(to_string(second.committed_entries[0].data), "a");
  handle(second);
  node->advance();
  EXPECT_EQ(node->status().commit, LogIndex(3));
}

TEST(RawNode, restart_recovers_term_vote_commit_and_log_from_storage) {
  TestCluster cluster(ids({1, 2, 3}));
  cluster.elect(1);
  cluster.propose(1, "a");
  cluster.propose(1, "b");
  cluster[2].restart();
  NodeStatus status = cluster.node(2).status();
  EXPECT_EQ(status.term, Term(1));
  EXPECT_EQ(status.vote, NodeId(1));
  EXPECT_EQ(status.last_index, LogIndex(3));
  EXPECT_EQ(status.role, Role::kFollower);
  // The state machine is rebuilt: committed entries are handed out again.
  cluster[2].drain();
  EXPECT_EQ(cluster[2].applied_data(), (std::vector<std::string>{"a", "b"}));
}

TEST(RawNode, configured_applied_index_skips_entries_the_state_machine_already_has) {
  NodeHarness h(make_config(1, ids({1, 2, 3})));
  std::vector<Entry> log = entries_with_terms(1, {1, 1, 1});
  h.config().applied = LogIndex(2);
  h.reset_storage(log, HardState{Term(1), kNoNode, LogIndex(3)});
  h.drain();
  ASSERT_EQ(h.applied().size(), 1u);
  EXPECT_EQ(h.applied()[0].index, LogIndex(3));
}

// Found by the simulation: a driver snapshots at its applied index but compacts a little behind
// it, so the stored snapshot is newer than the log start. A state machine rebuilt from that
// snapshot stands at the snapshot's index, and entries up to it must not be applied again.
TEST(RawNode,
     restart_applies_only_entries_after_the_stored_snapshot_even_if_the_log_starts_earlier) {
  NodeHarness h(make_config(1, ids({1, 2, 3})));
  h.reset_storage(entries_with_terms(1, {1, 1, 1, 1, 1}), HardState{Term(1), kNoNode, LogIndex(5)});
  ASSERT_TRUE(h.storage().create_snapshot(LogIndex(4), make_conf_state(ids({1, 2, 3})), {}).ok());
  ASSERT_TRUE(h.storage().compact(LogIndex(2)).ok());  // log starts at 3, snapshot at 4
  h.restart();
  EXPECT_EQ(h.node().status().applied, LogIndex(4));
  h.drain();
  ASSERT_EQ(h.applied().size(), 1u);
  EXPECT_EQ(h.applied()[0].index, LogIndex(5));
}

TEST(RawNode, soft_state_reports_role_and_leader_changes) {
  MemoryStorage storage;
  SeededRandom random(1);
  auto node = std::move(RawNode::create(make_config(1, ids({1})), storage, random)).value();
  node->campaign();
  Ready rd = node->ready();
  ASSERT_TRUE(rd.soft_state.has_value());
  EXPECT_EQ(rd.soft_state->role, Role::kLeader);
  EXPECT_EQ(rd.soft_state->leader, NodeId(1));
}

TEST(RawNode, leader_status_reports_every_voters_progress_for_lag_reports) {
  TestCluster cluster(ids({1, 2, 3}));
  cluster.elect(1);
  cluster.isolate(3);
  cluster.propose(1, "a");
  NodeStatus status = cluster.node(1).status();
  ASSERT_EQ(status.progress.size(), 3u);
  EXPECT_EQ(status.progress[0].id, NodeId(1));
  EXPECT_EQ(status.progress[0].match, LogIndex(2));
  EXPECT_EQ(status.progress[1].match, LogIndex(2));
  EXPECT_EQ(status.progress[1].state, ProgressState::kReplicate);
  EXPECT_EQ(status.progress[2].match, LogIndex(1));
  EXPECT_TRUE(cluster.node(2).status().progress.empty()) << "followers report none";
}

TEST(RawNode, heartbeat_commit_is_capped_at_the_followers_match_index) {
  NodeHarness h(make_config(1, ids({1, 2, 3})));
  h.elect();
  Message ack = make_message(MessageType::kAppendResponse, 2, 1, 1);
  ack.index = LogIndex(1);
  ASSERT_TRUE(h.step(ack).ok());
  h.drain();
  ASSERT_EQ(h.node().status().commit, LogIndex(1));
  h.node().tick();
  for (const Message& m : of_type(h.drain(), MessageType::kHeartbeat)) {
    EXPECT_EQ(m.commit, m.to == NodeId(2) ? LogIndex(1) : LogIndex(0)) << describe(m);
  }
}

TEST(RawNode, snapshot_metadata_is_only_available_up_to_the_applied_index) {
  TestCluster cluster(ids({1, 2, 3}));
  cluster.elect(1);
  cluster.propose(1, "a");
  auto meta = cluster.node(1).snapshot_metadata(LogIndex(2));
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->term, Term(1));
  EXPECT_EQ(meta->conf_state, make_conf_state(ids({1, 2, 3})));
  EXPECT_EQ(cluster.node(1).snapshot_metadata(LogIndex(3)).code(), ErrorCode::INVALID_REQUEST);
}

// --- Flow control -------------------------------------------------------------------------------

TEST(RawNode, probing_follower_gets_one_append_per_heartbeat_response) {
  NodeHarness h(make_config(1, ids({1, 2})));
  h.elect();  // one probe to 2 is out
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(h.node().propose(to_bytes("x")).ok());
  EXPECT_TRUE(of_type(h.drain(), MessageType::kAppend).empty()) << "probe is paused";
  ASSERT_TRUE(h.step(make_message(MessageType::kHeartbeatResponse, 2, 1, 1)).ok());
  EXPECT_EQ(of_type(h.drain(), MessageType::kAppend).size(), 1u);
}

TEST(RawNode, replicating_follower_gets_at_most_max_inflight_appends) {
  Config config = make_config(1, ids({1, 2}));
  config.max_inflight_appends = 2;
  NodeHarness h(config);
  h.elect();
  Message ack = make_message(MessageType::kAppendResponse, 2, 1, 1);
  ack.index = LogIndex(1);
  ASSERT_TRUE(h.step(ack).ok());  // now replicating
  h.drain();
  size_t appends = 0;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(h.node().propose(to_bytes("x")).ok());
    appends += of_type(h.drain(), MessageType::kAppend).size();
  }
  EXPECT_EQ(appends, 2u);
  ack.index = LogIndex(3);  // frees both
  ASSERT_TRUE(h.step(ack).ok());
  std::vector<Message> more = of_type(h.drain(), MessageType::kAppend);
  ASSERT_FALSE(more.empty());
  EXPECT_EQ(more[0].entries.front().index, LogIndex(4));
  EXPECT_EQ(more.back().entries.back().index, LogIndex(6));
}

}  // namespace
}  // namespace ferry::raft::test
