// The extensions of Ongaro's thesis that Ferry relies on, named after its sections: pre-vote
// (9.6), check-quorum (6.2), read index (6.4), leadership transfer (3.10); snapshots (paper 7);
// and robustness against bad input.
#include <gtest/gtest.h>

#include "tests/controller/raft/raft_test_util.h"

namespace ferry::raft::test {
namespace {

void with_pre_vote(Config& c) {
  c.pre_vote = true;
}
void with_check_quorum(Config& c) {
  c.check_quorum = true;
}
void with_both(Config& c) {
  c.pre_vote = true;
  c.check_quorum = true;
}

// --- 9.6 Pre-vote --------------------------------------------------------------------------------

// "a server ... first ask[s] other servers whether its log is up-to-date enough to get their
// vote"; a node returning from a partition therefore does not bump terms and depose the leader.
TEST(RaftThesis, sec9_6_pre_vote_partitioned_node_rejoining_does_not_disrupt_leader) {
  TestCluster cluster(ids({1, 2, 3}), with_pre_vote);
  cluster.elect(1);
  cluster.isolate(3);
  cluster.propose(1, "while 3 was away");
  cluster.tick_all(100);  // node 3 times out again and again
  EXPECT_EQ(cluster.node(3).term(), Term(1)) << "pre-vote must not raise the term";
  cluster.heal();
  cluster.tick_all(3);
  EXPECT_EQ(cluster.node(1).role(), Role::kLeader);
  EXPECT_EQ(cluster.node(1).term(), Term(1));
  EXPECT_EQ(cluster.node(3).leader(), NodeId(1));
  EXPECT_EQ(cluster[3].applied_data(), (std::vector<std::string>{"while 3 was away"}));
}

// The same scenario without pre-vote: the returning node's inflated term forces an election.
TEST(RaftThesis, sec9_6_without_pre_vote_rejoining_node_forces_a_new_term) {
  TestCluster cluster(ids({1, 2, 3}));
  cluster.elect(1);
  cluster.isolate(3);
  cluster.propose(1, "while 3 was away");
  cluster.tick_all(100);
  EXPECT_GT(cluster.node(3).term(), Term(1));
  cluster.heal();
  cluster.tick_all(40);
  EXPECT_GT(cluster.node(1).term(), Term(1)) << "leader was deposed by the higher term";
}

// A pre-vote does not change the voter's term or vote.
TEST(RaftThesis, sec9_6_pre_vote_request_changes_neither_term_nor_vote) {
  Config config = make_config(1, ids({1, 2, 3}));
  config.pre_vote = true;
  NodeHarness h(config);
  h.reset_storage({}, HardState{Term(2), kNoNode, LogIndex(0)});
  Message pre_vote = make_message(MessageType::kPreVote, 2, 1, 3);
  ASSERT_TRUE(h.step(pre_vote).ok());
  std::vector<Message> sent = of_type(h.drain(), MessageType::kPreVoteResponse);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_FALSE(sent[0].reject);
  EXPECT_EQ(sent[0].term, Term(3)) << "a grant carries the requested (future) term";
  EXPECT_EQ(h.node().term(), Term(2));
  EXPECT_EQ(h.storage().hard_state().vote, kNoNode);
}

// --- 6.2 Check-quorum and leader stickiness ------------------------------------------------------

// "a leader steps down if an election timeout elapses without a successful round of heartbeats
// to a majority of its cluster."
TEST(RaftThesis, sec6_2_check_quorum_leader_steps_down_when_it_cannot_hear_from_a_majority) {
  TestCluster cluster(ids({1, 2, 3}), with_check_quorum);
  cluster.elect(1);
  cluster.isolate(1);
  for (int i = 0; i < 2 * 10; ++i) {
    cluster.tick(1);
    cluster.stabilize();
  }
  EXPECT_EQ(cluster.node(1).role(), Role::kFollower);
  auto rejected = cluster.node(1).propose(to_bytes("x"));
  EXPECT_EQ(rejected.code(), ErrorCode::NOT_CONTROLLER);
}

TEST(RaftThesis, sec6_2_check_quorum_leader_hearing_from_majority_stays_leader) {
  TestCluster cluster(ids({1, 2, 3}), with_check_quorum);
  cluster.elect(1);
  cluster.isolate(3);
  cluster.tick_all(50);
  EXPECT_EQ(cluster.node(1).role(), Role::kLeader);
  EXPECT_EQ(cluster.node(1).term(), Term(1));
}

// "if a server receives a RequestVote request within the minimum election timeout of hearing
// from a current leader, it does not update its term or grant its vote."
TEST(RaftThesis, sec6_2_follower_hearing_from_leader_ignores_vote_requests) {
  TestCluster cluster(ids({1, 2, 3}), with_check_quorum);
  cluster.elect(1);
  cluster.node(3).campaign();  // a disruptive node (no pre-vote) asks for votes in term 2
  cluster.stabilize();
  EXPECT_EQ(cluster.node(3).role(), Role::kCandidate);
  EXPECT_EQ(cluster.node(2).term(), Term(1));
  EXPECT_EQ(cluster.node(1).role(), Role::kLeader);
  EXPECT_EQ(cluster.node(1).term(), Term(1));
}

// A node that moved to a higher term while partitioned answers a stale leader's heartbeat with
// its term, so the leader steps down and the cluster can elect someone everyone accepts.
TEST(RaftThesis, sec6_2_stale_term_heartbeat_is_answered_with_the_higher_term) {
  Config config = make_config(1, ids({1, 2, 3}));
  config.check_quorum = true;
  NodeHarness h(config);
  h.reset_storage({}, HardState{Term(5), kNoNode, LogIndex(0)});
  ASSERT_TRUE(h.step(make_message(MessageType::kHeartbeat, 2, 1, 3)).ok());
  std::vector<Message> sent = h.drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].type, MessageType::kAppendResponse);
  EXPECT_EQ(sent[0].term, Term(5));
}

// --- 6.4 Read index ------------------------------------------------------------------------------

TEST(RaftThesis, sec6_4_read_index_leader_serves_read_once_heartbeats_confirm_leadership) {
  TestCluster cluster(ids({1, 2, 3}), with_both);
  cluster.elect(1);
  cluster.propose(1, "a");
  ASSERT_TRUE(cluster.node(1).read_index(to_bytes("r1")).ok());
  cluster.stabilize();
  ASSERT_EQ(cluster[1].read_states().size(), 1u);
  EXPECT_EQ(cluster[1].read_states()[0], (ReadState{LogIndex(2), to_bytes("r1")}));
}

TEST(RaftThesis, sec6_4_read_index_leader_cut_off_from_majority_serves_no_read) {
  TestCluster cluster(ids({1, 2, 3}), with_pre_vote);
  cluster.elect(1);
  cluster.isolate(2);
  cluster.isolate(3);
  ASSERT_TRUE(cluster.node(1).read_index(to_bytes("r1")).ok());
  for (int i = 0; i < 5; ++i) {
    cluster.tick(1);
    cluster.stabilize();
  }
  EXPECT_TRUE(cluster[1].read_states().empty());
}

TEST(RaftThesis, sec6_4_read_index_follower_obtains_read_index_from_leader) {
  TestCluster cluster(ids({1, 2, 3}), with_both);
  cluster.elect(1);
  cluster.propose(1, "a");
  cluster.propose(1, "b");
  ASSERT_TRUE(cluster.node(2).read_index(to_bytes("f1")).ok());
  cluster.stabilize();
  ASSERT_EQ(cluster[2].read_states().size(), 1u);
  EXPECT_EQ(cluster[2].read_states()[0], (ReadState{LogIndex(3), to_bytes("f1")}));
}

// "The leader must have the latest information on which entries are committed ... [it] commits
// a blank no-op entry ... at the start of its term": reads wait for it.
TEST(RaftThesis, sec6_4_read_index_new_leader_defers_reads_until_it_commits_an_entry_of_its_term) {
  Config config = make_config(1, ids({1, 2, 3}));
  NodeHarness h(config);
  h.reset_storage(entries_with_terms(1, {1, 1}), HardState{Term(1), kNoNode, LogIndex(1)});
  h.elect();  // term 2, no-op at 3 not yet acknowledged
  ASSERT_TRUE(h.node().read_index(to_bytes("early")).ok());
  for (const Message& m : h.drain())
    EXPECT_TRUE(m.context.empty()) << describe(m);
  Message ack = make_message(MessageType::kAppendResponse, 2, 1, 2);
  ack.index = LogIndex(3);
  ASSERT_TRUE(h.step(ack).ok());
  std::vector<Message> beats = of_type(h.drain(), MessageType::kHeartbeat);
  ASSERT_EQ(beats.size(), 2u);
  EXPECT_EQ(beats[0].context, to_bytes("early"));
  Message echo = make_message(MessageType::kHeartbeatResponse, 3, 1, 2);
  echo.context = to_bytes("early");
  ASSERT_TRUE(h.step(echo).ok());
  h.drain();
  ASSERT_EQ(h.read_states().size(), 1u);
  EXPECT_EQ(h.read_states()[0].index, LogIndex(3));
}

TEST(RaftThesis, sec6_4_read_index_without_known_leader_is_not_controller) {
  NodeHarness h(make_config(1, ids({1, 2, 3})));
  Status status = h.node().read_index(to_bytes("r"));
  EXPECT_EQ(status.code(), ErrorCode::NOT_CONTROLLER);
}

// --- 3.10 Leadership transfer --------------------------------------------------------------------

TEST(RaftThesis, sec3_10_leader_transfer_makes_up_to_date_target_leader_at_once) {
  TestCluster cluster(ids({1, 2, 3}), with_both);
  cluster.elect(1);
  cluster.propose(1, "a");
  ASSERT_TRUE(cluster.node(1).transfer_leadership(NodeId(2)).ok());
  cluster.stabilize();
  EXPECT_EQ(cluster.node(2).role(), Role::kLeader);
  EXPECT_EQ(cluster.node(2).term(), Term(2));
  EXPECT_EQ(cluster.node(1).role(), Role::kFollower);
  EXPECT_EQ(cluster.node(1).leader(), NodeId(2));
  cluster.propose(2, "b");
  EXPECT_EQ(cluster[1].applied_data(), (std::vector<std::string>{"a", "b"}));
}

TEST(RaftThesis, sec3_10_leader_transfer_catches_up_a_lagging_target_first) {
  TestCluster cluster(ids({1, 2, 3}), with_both);
  cluster.elect(1);
  cluster.set_drop_filter(
      [](const Message& m) { return m.type == MessageType::kAppend && m.to == NodeId(3); });
  cluster.propose(1, "a");
  cluster.propose(1, "b");
  cluster.set_drop_filter(nullptr);
  ASSERT_TRUE(cluster.node(1).transfer_leadership(NodeId(3)).ok());
  cluster.tick_all(3);
  EXPECT_EQ(cluster.node(3).role(), Role::kLeader);
  EXPECT_EQ(cluster[3].applied_data(), (std::vector<std::string>{"a", "b"}));
}

TEST(RaftThesis, sec3_10_proposals_are_refused_during_transfer_which_is_abandoned_after_timeout) {
  TestCluster cluster(ids({1, 2, 3}));
  cluster.elect(1);
  cluster.isolate(3);
  ASSERT_TRUE(cluster.node(1).transfer_leadership(NodeId(3)).ok());
  auto refused = cluster.node(1).propose(to_bytes("x"));
  EXPECT_EQ(refused.code(), ErrorCode::NOT_CONTROLLER);
  EXPECT_NE(refused.error().message().find("handing leadership to node 3"), std::string::npos)
      << refused.error().message();
  cluster.tick_all(10);  // one election timeout
  EXPECT_EQ(cluster.node(1).role(), Role::kLeader);
  EXPECT_TRUE(cluster.node(1).propose(to_bytes("y")).ok());
}

TEST(RaftThesis, sec3_10_transfer_is_refused_on_followers_and_for_non_voters) {
  TestCluster cluster(ids({1, 2, 3}));
  cluster.elect(1);
  EXPECT_EQ(cluster.node(2).transfer_leadership(NodeId(3)).code(), ErrorCode::NOT_CONTROLLER);
  EXPECT_EQ(cluster.node(1).transfer_leadership(NodeId(9)).code(), ErrorCode::INVALID_REQUEST);
}

// --- 7 Log compaction ----------------------------------------------------------------------------

// Takes a snapshot at the applied index of `h` and discards the log up to it.
void compact_at_applied(NodeHarness& h) {
  const LogIndex applied = h.node().status().applied;
  auto meta = h.node().snapshot_metadata(applied);
  ASSERT_TRUE(meta.ok()) << meta.error().to_string();
  ASSERT_TRUE(h.storage()
                  .create_snapshot(applied, meta->conf_state,
                                   to_bytes("state@" + std::to_string(applied.value())))
                  .ok());
  ASSERT_TRUE(h.storage().compact(applied).ok());
}

// "the leader must occasionally send snapshots to followers that lag behind ... when the leader
// has already discarded the next log entry that it needs to send to a follower."
TEST(RaftPaper, sec7_leader_sends_snapshot_to_follower_that_needs_compacted_entries) {
  TestCluster cluster(ids({1, 2, 3}), with_both);
  cluster.elect(1);
  cluster.isolate(3);
  for (int i = 0; i < 5; ++i)
    cluster.propose(1, "v" + std::to_string(i));
  compact_at_applied(cluster[1]);  // leader's log now starts after index 6
  ASSERT_EQ(cluster[1].storage().first_index(), LogIndex(7));
  cluster.heal();
  cluster.tick_all(3);
  EXPECT_EQ(cluster[3].storage().snapshot()->metadata.index, LogIndex(6));
  EXPECT_EQ(cluster[3].storage().snapshot()->data, to_bytes("state@6"));
  EXPECT_EQ(cluster.node(3).status().first_index, LogIndex(7));
  cluster.propose(1, "after");
  EXPECT_EQ(cluster[3].applied_data(), (std::vector<std::string>{"after"}))
      << "only entries after the snapshot are applied from the log";
  EXPECT_EQ(cluster.node(3).status().commit, cluster.node(1).status().commit);
}

TEST(RaftPaper, sec7_lost_snapshot_is_sent_again_after_timeout) {
  TestCluster cluster(ids({1, 2, 3}), [](Config& c) {
    with_both(c);
    c.install_snapshot_timeout_ticks = 5;
  });
  cluster.elect(1);
  cluster.isolate(3);
  cluster.propose(1, "a");
  compact_at_applied(cluster[1]);
  cluster.heal();
  int dropped = 0;
  cluster.set_drop_filter(
      [&](const Message& m) { return m.type == MessageType::kInstallSnapshot && dropped++ == 0; });
  cluster.tick_all(12);
  EXPECT_GE(dropped, 2);
  EXPECT_EQ(cluster[3].storage().snapshot()->metadata.index, LogIndex(2));
}

// "If the follower receives a snapshot that describes a prefix of its log ... entries covered by
// the snapshot are deleted but entries following the snapshot are still valid and must be
// retained." Ours: such a snapshot only moves the commit index; one behind the commit index is
// ignored.
TEST(RaftPaper, sec7_follower_keeps_its_log_for_snapshot_of_a_prefix_or_an_old_snapshot) {
  NodeHarness h(make_config(1, ids({1, 2, 3})));
  h.reset_storage(entries_with_terms(1, {1, 1, 1, 1}), HardState{Term(1), kNoNode, LogIndex(1)});
  Message install = make_message(MessageType::kInstallSnapshot, 2, 1, 1);
  install.snapshot = Snapshot{
      SnapshotMetadata{LogIndex(3), Term(1), make_conf_state(ids({1, 2, 3}))}, to_bytes("s")};
  ASSERT_TRUE(h.step(install).ok());
  std::vector<Message> sent = h.drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].type, MessageType::kInstallSnapshotResponse);
  EXPECT_EQ(sent[0].index, LogIndex(3));
  EXPECT_EQ(h.node().status().commit, LogIndex(3));
  EXPECT_EQ(h.storage().last_index(), LogIndex(4)) << "entries after the snapshot are retained";
  EXPECT_TRUE(h.storage().snapshot()->empty());

  install.snapshot->metadata.index = LogIndex(2);  // older than our commit index
  ASSERT_TRUE(h.step(install).ok());
  sent = h.drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].index, LogIndex(3));
  EXPECT_TRUE(h.storage().snapshot()->empty());
}

TEST(RaftPaper, sec7_node_restarts_from_its_installed_snapshot) {
  NodeHarness h(make_config(1, ids({1, 2, 3})));
  Message install = make_message(MessageType::kInstallSnapshot, 2, 1, 4);
  install.snapshot = Snapshot{
      SnapshotMetadata{LogIndex(10), Term(3), make_conf_state(ids({1, 2, 3}))}, to_bytes("image")};
  ASSERT_TRUE(h.step(install).ok());
  h.drain();
  h.restart();
  NodeStatus status = h.node().status();
  EXPECT_EQ(status.first_index, LogIndex(11));
  EXPECT_EQ(status.last_index, LogIndex(10));
  EXPECT_EQ(status.commit, LogIndex(10));
  EXPECT_EQ(status.applied, LogIndex(10));
  EXPECT_EQ(status.term, Term(4));
}

// --- Robustness: bad input never crashes -------------------------------------------------------

TEST(RaftRobustness, malformed_messages_are_refused_with_invalid_request) {
  std::vector<Message> bad;
  bad.push_back(make_message(MessageType::kHeartbeat, 2, 7, 1));  // not for us
  bad.push_back(make_message(MessageType::kHeartbeat, 1, 1, 1));  // from ourselves
  bad.push_back(make_message(MessageType::kHeartbeat, -1, 1, 1));
  bad.push_back(make_message(MessageType::kHeartbeat, 2, 1, -3));
  bad.push_back(make_message(static_cast<MessageType>(99), 2, 1, 1));
  bad.push_back(make_append(2, 1, 2, 0, 0, entries_with_terms(2, {2}), 0));     // gap
  bad.push_back(make_append(2, 1, 2, 0, 0, entries_with_terms(1, {3}), 0));     // future term
  bad.push_back(make_append(2, 1, 2, 0, 0, entries_with_terms(1, {2, 1}), 0));  // terms go down
  bad.push_back(make_append(2, 1, 2, 3, 0, {}, 0));                             // log term > term
  Message entries_on_vote = make_message(MessageType::kVote, 2, 1, 2);
  entries_on_vote.entries = entries_with_terms(1, {1});
  bad.push_back(entries_on_vote);
  bad.push_back(make_message(MessageType::kInstallSnapshot, 2, 1, 2));  // no snapshot
  Message snapshot_on_heartbeat = make_message(MessageType::kHeartbeat, 2, 1, 2);
  snapshot_on_heartbeat.snapshot = Snapshot{SnapshotMetadata{LogIndex(1), Term(1), {}}, {}};
  bad.push_back(snapshot_on_heartbeat);
  Message empty_voters = make_message(MessageType::kInstallSnapshot, 2, 1, 2);
  empty_voters.snapshot = Snapshot{SnapshotMetadata{LogIndex(1), Term(1), {}}, {}};
  bad.push_back(empty_voters);

  NodeHarness h(make_config(1, ids({1, 2, 3})));
  for (const Message& m : bad) {
    Status status = h.step(m);
    EXPECT_EQ(status.code(), ErrorCode::INVALID_REQUEST) << describe(m);
  }
  EXPECT_EQ(h.node().term(), Term(0));
  EXPECT_EQ(h.node().status().last_index, LogIndex(0));
  EXPECT_TRUE(h.drain().empty());
}

TEST(RaftRobustness, append_conflicting_below_the_commit_index_never_touches_committed_entries) {
  NodeHarness h(make_config(1, ids({1, 2, 3})));
  h.reset_storage(entries_with_terms(1, {1, 1}), HardState{Term(1), kNoNode, LogIndex(2)});
  // A (broken or very stale) leader of term 2 claims index 2 holds a term-2 entry.
  ASSERT_TRUE(h.step(make_append(2, 1, 2, 1, 1, entries_with_terms(2, {2}), 2)).ok());
  std::vector<Message> sent = h.drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_FALSE(sent[0].reject);
  EXPECT_EQ(sent[0].index, LogIndex(2)) << "answered with our commit index";
  EXPECT_EQ(h.storage().term(LogIndex(2)).value_or(Term(0)), Term(1));
}

TEST(RaftRobustness, acknowledgement_beyond_the_leaders_log_is_refused) {
  NodeHarness h(make_config(1, ids({1, 2, 3})));
  h.elect();
  Message ack = make_message(MessageType::kAppendResponse, 2, 1, 1);
  ack.index = LogIndex(50);
  EXPECT_EQ(h.step(ack).code(), ErrorCode::INVALID_REQUEST);
  h.drain();
  EXPECT_EQ(h.node().status().commit, LogIndex(0));
}

TEST(RaftRobustness, proposal_on_follower_is_not_controller_and_names_the_leader) {
  TestCluster cluster(ids({1, 2, 3}));
  auto no_leader = cluster.node(2).propose(to_bytes("x"));
  EXPECT_EQ(no_leader.code(), ErrorCode::NOT_CONTROLLER);
  EXPECT_NE(no_leader.error().message().find("knows no leader"), std::string::npos);
  cluster.elect(1);
  auto follower = cluster.node(2).propose(to_bytes("x"));
  EXPECT_EQ(follower.code(), ErrorCode::NOT_CONTROLLER);
  EXPECT_NE(follower.error().message().find("node 1 is the leader of term 1"), std::string::npos)
      << follower.error().message();
}

TEST(RaftRobustness, bad_config_and_inconsistent_storage_are_errors_not_crashes) {
  MemoryStorage storage;
  SeededRandom random(1);
  Config config = make_config(1, {});
  EXPECT_EQ(RawNode::create(config, storage, random).code(), ErrorCode::INVALID_CONFIG);
  config = make_config(1, ids({1, 2, 3}));
  config.heartbeat_ticks = 10;
  EXPECT_EQ(RawNode::create(config, storage, random).code(), ErrorCode::INVALID_CONFIG);
  config = make_config(1, ids({1, 2, 3}));
  storage.set_hard_state(HardState{Term(1), kNoNode, LogIndex(5)});  // commit past the log
  EXPECT_EQ(RawNode::create(config, storage, random).code(), ErrorCode::KAFKA_STORAGE_ERROR);
  config.applied = LogIndex(9);
  EXPECT_EQ(RawNode::create(config, storage, random).code(), ErrorCode::INVALID_CONFIG);
}

}  // namespace
}  // namespace ferry::raft::test
