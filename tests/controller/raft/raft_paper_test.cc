// Tests named after the sections of the Raft paper (https://raft.github.io/raft.pdf), each
// pinning down a sentence of it. Pre-vote and check-quorum are off here (the paper's protocol);
// raft_features_test.cc covers the thesis extensions.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/controller/raft/raft_test_util.h"

namespace ferry::raft::test {
namespace {

NodeHarness three_node_harness(int id = 1) {
  return NodeHarness(make_config(id, ids({1, 2, 3})));
}

// --- 5.1 Raft basics -----------------------------------------------------------------------------

// "If a candidate or leader discovers that its term is out of date, it immediately reverts to
// follower state." / "If one server's current term is smaller than the other's, then it updates
// its current term to the larger value."
TEST(RaftPaper, sec5_1_any_role_adopts_higher_term_and_becomes_follower) {
  for (Role start : {Role::kFollower, Role::kCandidate, Role::kLeader}) {
    NodeHarness h = three_node_harness();
    if (start == Role::kCandidate) h.node().campaign();
    if (start == Role::kLeader) h.elect();
    h.drain();
    ASSERT_EQ(h.node().role(), start);
    ASSERT_TRUE(h.step(make_append(2, 1, 5, 0, 0, {}, 0)).ok());
    EXPECT_EQ(h.node().term(), Term(5)) << role_name(start);
    EXPECT_EQ(h.node().role(), Role::kFollower) << role_name(start);
    EXPECT_EQ(h.node().leader(), NodeId(2)) << role_name(start);
  }
}

// "If a server receives a request with a stale term number, it rejects the request." (We ignore
// it: no state changes, nothing is appended, no leader is learned.)
TEST(RaftPaper, sec5_1_node_ignores_requests_with_stale_term) {
  NodeHarness h = three_node_harness();
  h.reset_storage({}, HardState{Term(3), kNoNode, LogIndex(0)});
  ASSERT_TRUE(h.step(make_append(2, 1, 2, 0, 0, entries_with_terms(1, {2}), 0)).ok());
  EXPECT_TRUE(h.drain().empty());
  EXPECT_EQ(h.node().status().last_index, LogIndex(0));
  EXPECT_EQ(h.node().leader(), kNoNode);
  EXPECT_EQ(h.node().term(), Term(3));
}

// --- 5.2 Leader election -------------------------------------------------------------------------

TEST(RaftPaper, sec5_2_nodes_start_as_followers) {
  NodeHarness h = three_node_harness();
  EXPECT_EQ(h.node().role(), Role::kFollower);
  EXPECT_EQ(h.node().term(), Term(0));
}

// "Leaders send periodic heartbeats (AppendEntries RPCs that carry no log entries) to all
// followers in order to maintain their authority."
TEST(RaftPaper, sec5_2_leader_sends_heartbeats_to_all_followers_every_heartbeat_interval) {
  Config config = make_config(1, ids({1, 2, 3}));
  config.heartbeat_ticks = 3;
  NodeHarness h(config);
  h.elect();
  for (int i = 0; i < 2; ++i)
    h.node().tick();
  EXPECT_TRUE(of_type(h.drain(), MessageType::kHeartbeat).empty());
  h.node().tick();
  std::vector<Message> beats = of_type(h.drain(), MessageType::kHeartbeat);
  ASSERT_EQ(beats.size(), 2u);
  std::set<NodeId> to;
  for (const Message& m : beats) {
    to.insert(m.to);
    EXPECT_EQ(m.term, Term(1));
    EXPECT_TRUE(m.entries.empty());
    EXPECT_EQ(m.commit, LogIndex(0));  // min(follower match 0, commit)
  }
  EXPECT_EQ(to, std::set<NodeId>({NodeId(2), NodeId(3)}));
}

// "If a follower receives no communication over a period of time called the election timeout,
// then it assumes there is no viable leader and begins an election": it increments its term,
// votes for itself (persisted) and sends RequestVote to every other server.
TEST(RaftPaper, sec5_2_follower_starts_election_after_election_timeout) {
  NodeHarness h = three_node_harness();
  std::vector<Message> sent;
  for (int i = 0; i < 2 * 10 && sent.empty(); ++i) {
    h.node().tick();
    sent = h.drain();
  }
  EXPECT_EQ(h.node().role(), Role::kCandidate);
  EXPECT_EQ(h.node().term(), Term(1));
  EXPECT_EQ(h.storage().hard_state().vote, NodeId(1)) << "the self-vote must be persisted";
  std::vector<Message> votes = of_type(sent, MessageType::kVote);
  ASSERT_EQ(votes.size(), 2u);
  for (const Message& m : votes) {
    EXPECT_EQ(m.term, Term(1));
    EXPECT_EQ(m.index, LogIndex(0));
    EXPECT_EQ(m.log_term, Term(0));
  }
}

// "If many followers become candidates at the same time, votes could be split ... the candidate
// will time out and start a new election by incrementing its term."
TEST(RaftPaper, sec5_2_candidate_starts_new_election_when_election_times_out) {
  NodeHarness h = three_node_harness();
  h.node().campaign();
  h.drain();
  ASSERT_EQ(h.node().term(), Term(1));
  for (int i = 0; i < 2 * 10; ++i)
    h.node().tick();
  EXPECT_EQ(h.node().role(), Role::kCandidate);
  EXPECT_EQ(h.node().term(), Term(2));
  EXPECT_EQ(of_type(h.drain(), MessageType::kVote).size(), 2u);
}

// "A candidate wins an election if it receives votes from a majority of the servers"; it returns
// to follower when a majority rejected it, and otherwise keeps waiting.
TEST(RaftPaper, sec5_2_candidate_wins_with_majority_and_loses_with_majority_of_rejections) {
  struct Case {
    int size;
    std::map<int, bool> votes;
    Role expected;
  };
  const std::vector<Case> cases = {
      {1, {}, Role::kLeader},
      {3, {{2, true}}, Role::kLeader},
      {3, {{2, true}, {3, true}}, Role::kLeader},
      {5, {{2, true}, {3, true}}, Role::kLeader},
      {3, {{2, false}, {3, false}}, Role::kFollower},
      {5, {{2, true}, {3, false}, {4, false}, {5, false}}, Role::kFollower},
      {3, {}, Role::kCandidate},
      {5, {{2, true}}, Role::kCandidate},
      {5, {{2, false}, {3, false}}, Role::kCandidate},
  };
  for (const Case& c : cases) {
    std::vector<NodeId> voters;
    for (int i = 1; i <= c.size; ++i)
      voters.push_back(NodeId(i));
    NodeHarness h(make_config(1, voters));
    h.node().campaign();
    h.drain();
    for (const auto& [from, granted] : c.votes) {
      Message m = make_message(MessageType::kVoteResponse, from, 1, 1);
      m.reject = !granted;
      ASSERT_TRUE(h.step(m).ok());
    }
    EXPECT_EQ(h.node().role(), c.expected)
        << "size " << c.size << ", " << c.votes.size() << " votes";
    EXPECT_EQ(h.node().term(), Term(1));
  }
}

// "Each server will vote for at most one candidate in a given term, on a first-come-first-served
// basis."
TEST(RaftPaper, sec5_2_follower_votes_for_at_most_one_candidate_per_term) {
  struct Case {
    NodeId already_voted;
    int candidate;
    bool rejected;
  };
  for (const Case& c : std::vector<Case>{{kNoNode, 2, false},
                                         {kNoNode, 3, false},
                                         {NodeId(2), 2, false},
                                         {NodeId(2), 3, true},
                                         {NodeId(3), 2, true}}) {
    NodeHarness h = three_node_harness();
    h.reset_storage({}, HardState{Term(1), c.already_voted, LogIndex(0)});
    ASSERT_TRUE(h.step(make_message(MessageType::kVote, c.candidate, 1, 1)).ok());
    std::vector<Message> sent = of_type(h.drain(), MessageType::kVoteResponse);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].to, NodeId(c.candidate));
    EXPECT_EQ(sent[0].reject, c.rejected)
        << "voted " << c.already_voted.value() << ", asked by " << c.candidate;
    if (!c.rejected) {
      EXPECT_EQ(h.storage().hard_state().vote, NodeId(c.candidate));
    }
  }
}

// "While waiting for votes, a candidate may receive an AppendEntries RPC from another server
// claiming to be leader. If the leader's term is at least as large as the candidate's current
// term, then the candidate recognizes the leader as legitimate and returns to follower state."
TEST(RaftPaper, sec5_2_candidate_returns_to_follower_on_append_from_legitimate_leader) {
  for (int64_t leader_term : {1, 2}) {
    NodeHarness h = three_node_harness();
    h.node().campaign();
    h.drain();
    ASSERT_EQ(h.node().role(), Role::kCandidate);
    ASSERT_TRUE(h.step(make_append(2, 1, leader_term, 0, 0, {}, 0)).ok());
    EXPECT_EQ(h.node().role(), Role::kFollower);
    EXPECT_EQ(h.node().term(), Term(leader_term));
    EXPECT_EQ(h.node().leader(), NodeId(2));
  }
}

// "Raft uses randomized election timeouts ... chosen randomly from a fixed interval." Ours:
// [T, 2T), every value reachable.
TEST(RaftPaper, sec5_2_election_timeouts_are_randomised_between_t_and_two_t) {
  NodeHarness h = three_node_harness();
  std::set<int> seen;
  for (int round = 0; round < 500; ++round) {
    ASSERT_TRUE(h.step(make_append(2, 1, round + 1, 0, 0, {}, 0)).ok());  // fresh follower
    h.drain();
    int ticks = 0;
    while (h.node().role() == Role::kFollower) {
      h.node().tick();
      ++ticks;
      ASSERT_LT(ticks, 20) << "election timeout must be < 2T";
    }
    h.drain();
    seen.insert(ticks);
  }
  EXPECT_EQ(*seen.begin(), 10);
  EXPECT_EQ(*seen.rbegin(), 19);
  EXPECT_EQ(seen.size(), 10u);
}

// --- 5.3 Log replication -------------------------------------------------------------------------

// "The leader appends the command to its log as a new entry, then issues AppendEntries RPCs in
// parallel to each of the other servers ... the leader includes the index and term of the entry
// in its log that immediately precedes the new entries."
TEST(RaftPaper, sec5_3_leader_appends_proposal_and_sends_it_with_the_preceding_entry) {
  NodeHarness h = three_node_harness();
  h.elect();                     // no-op at index 1, term 1
  for (int follower : {2, 3}) {  // followers acknowledge the no-op: replication is pipelined
    Message ack = make_message(MessageType::kAppendResponse, follower, 1, 1);
    ack.index = LogIndex(1);
    ASSERT_TRUE(h.step(ack).ok());
  }
  h.drain();
  auto id = h.node().propose(to_bytes("x"));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, (EntryId{Term(1), LogIndex(2)}));
  std::vector<Message> appends = of_type(h.drain(), MessageType::kAppend);
  ASSERT_EQ(appends.size(), 2u);
  for (const Message& m : appends) {
    EXPECT_EQ(m.index, LogIndex(1));
    EXPECT_EQ(m.log_term, Term(1));
    EXPECT_EQ(m.commit, LogIndex(1));
    ASSERT_EQ(m.entries.size(), 1u);
    EXPECT_EQ(m.entries[0], (Entry{Term(1), LogIndex(2), EntryType::kNormal, to_bytes("x")}));
  }
  EXPECT_EQ(h.storage().last_index(), LogIndex(2)) << "the leader persists its own entries";
}

// "A log entry is committed once the leader that created the entry has replicated it on a
// majority of the servers."
TEST(RaftPaper, sec5_3_leader_commits_entry_once_replicated_on_majority) {
  struct Case {
    int size;
    std::set<int> acceptors;
    bool committed;
  };
  for (const Case& c : std::vector<Case>{{1, {}, true},
                                         {3, {}, false},
                                         {3, {2}, true},
                                         {5, {2}, false},
                                         {5, {2, 3}, true},
                                         {5, {2, 3, 4, 5}, true}}) {
    std::vector<NodeId> voters;
    for (int i = 1; i <= c.size; ++i)
      voters.push_back(NodeId(i));
    NodeHarness h(make_config(1, voters));
    h.elect();
    for (int acceptor : c.acceptors) {
      Message ack = make_message(MessageType::kAppendResponse, acceptor, 1, 1);
      ack.index = LogIndex(1);
      ASSERT_TRUE(h.step(ack).ok());
    }
    h.drain();
    EXPECT_EQ(h.node().status().commit == LogIndex(1), c.committed)
        << "size " << c.size << " acceptors " << c.acceptors.size();
  }
}

// "When the entry has been safely replicated, the leader applies the entry to its state machine
// ... This also commits all preceding entries in the leader's log, including entries created by
// previous leaders."
TEST(RaftPaper, sec5_3_committing_an_entry_commits_all_preceding_entries) {
  NodeHarness h = three_node_harness();
  h.reset_storage(entries_with_terms(1, {1, 2}), HardState{Term(2), kNoNode, LogIndex(0)});
  h.elect();  // term 3, no-op at index 3
  Message ack = make_message(MessageType::kAppendResponse, 2, 1, 3);
  ack.index = LogIndex(3);
  ASSERT_TRUE(h.step(ack).ok());
  h.drain();
  EXPECT_EQ(h.node().status().commit, LogIndex(3));
  ASSERT_EQ(h.applied().size(), 3u);
  EXPECT_EQ(h.applied()[0].term, Term(1));
  EXPECT_EQ(h.applied()[1].term, Term(2));
}

// "Once a follower learns that a log entry is committed, it applies the entry to its local state
// machine (in log order)."
TEST(RaftPaper, sec5_3_follower_applies_committed_entries_in_log_order) {
  NodeHarness h = three_node_harness();
  std::vector<Entry> entries = entries_with_terms(1, {1, 1, 1});
  for (size_t k = 0; k < entries.size(); ++k)
    entries[k].data = to_bytes(std::to_string(k + 1));
  ASSERT_TRUE(h.step(make_append(2, 1, 1, 0, 0, entries, 2)).ok());
  h.drain();
  EXPECT_EQ(h.applied_data(), (std::vector<std::string>{"1", "2"}));
  ASSERT_TRUE(h.step(make_append(2, 1, 1, 1, 3, {}, 3)).ok());
  h.drain();
  EXPECT_EQ(h.applied_data(), (std::vector<std::string>{"1", "2", "3"}));
}

// "If the follower does not find an entry in its log with the same index and term, then it
// refuses the new entries." The rejection carries a hint for the leader.
TEST(RaftPaper, sec5_3_follower_rejects_append_whose_preceding_entry_does_not_match) {
  struct Case {
    int64_t prev_term, prev_index;
    bool rejected;
    int64_t hint;
  };
  // Follower log: (1,1) (2,2), committed 1.
  for (const Case& c : std::vector<Case>{{0, 0, false, 0},  // below commit: acked at commit
                                         {1, 1, false, 0},
                                         {2, 2, false, 0},
                                         {1, 2, true, 1},     // term mismatch at 2 -> hint (1,1)
                                         {3, 3, true, 2}}) {  // past the end -> hint last
    NodeHarness h = three_node_harness();
    h.reset_storage(entries_with_terms(1, {1, 2}), HardState{Term(2), kNoNode, LogIndex(1)});
    ASSERT_TRUE(h.step(make_append(2, 1, 3, c.prev_term, c.prev_index, {}, 1)).ok());
    std::vector<Message> sent = of_type(h.drain(), MessageType::kAppendResponse);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].reject, c.rejected) << c.prev_term << "/" << c.prev_index;
    if (c.rejected) {
      EXPECT_EQ(sent[0].reject_hint, LogIndex(c.hint));
    }
  }
}

// "If an existing entry conflicts with a new one (same index but different terms), delete the
// existing entry and all that follow it; append any new entries not already in the log."
TEST(RaftPaper, sec5_3_follower_deletes_conflicting_entries_and_appends_new_ones) {
  struct Case {
    int64_t prev_term, prev_index;
    std::vector<Entry> entries;
    std::vector<int64_t> expected_terms;
  };
  const std::vector<Case> cases = {
      {2, 2, entries_with_terms(3, {3}), {1, 2, 3}},
      {1, 1, entries_with_terms(2, {3, 4}), {1, 3, 4}},
      {0, 0, entries_with_terms(1, {1}), {1, 2}},
      {0, 0, entries_with_terms(1, {3}), {3}},
  };
  for (const Case& c : cases) {
    NodeHarness h = three_node_harness();
    h.reset_storage(entries_with_terms(1, {1, 2}), HardState{Term(2), kNoNode, LogIndex(0)});
    ASSERT_TRUE(h.step(make_append(2, 1, 4, c.prev_term, c.prev_index, c.entries, 0)).ok());
    h.drain();
    std::vector<int64_t> terms;
    for (LogIndex i(1); i <= h.storage().last_index(); ++i)
      terms.push_back(h.storage().term(i)->value());
    EXPECT_EQ(terms, c.expected_terms);
  }
}

// Logs of the followers of paper Figure 7; the leader of term 8 has terms
// 1 1 1 4 4 5 5 6 6 6 at indexes 1..10.
std::vector<std::vector<int64_t>> figure7_follower_logs() {
  return {
      {1, 1, 1, 4, 4, 5, 5, 6, 6},           // (a) missing one entry
      {1, 1, 1, 4},                          // (b) missing many
      {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6},     // (c) one extra uncommitted entry
      {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7},  // (d) extra entries of term 7
      {1, 1, 1, 4, 4, 4, 4},                 // (e) missing and extra
      {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3},     // (f) many extra from terms 2 and 3
  };
}

std::vector<Entry> log_with_terms(const std::vector<int64_t>& terms) {
  std::vector<Entry> out;
  for (size_t k = 0; k < terms.size(); ++k) {
    out.push_back(Entry{Term(terms[k]), LogIndex(static_cast<int64_t>(k) + 1), EntryType::kNormal,
                        to_bytes("t" + std::to_string(terms[k]))});
  }
  return out;
}

std::vector<Entry> stored_log(NodeHarness& h) {
  auto entries =
      h.storage().entries(h.storage().first_index(), h.storage().last_index() + 1, UINT64_MAX);
  EXPECT_TRUE(entries.ok());
  return entries.ok() ? *entries : std::vector<Entry>{};
}

// "The leader handles inconsistencies by forcing the followers' logs to duplicate its own ...
// the leader must find the latest log entry where the two logs agree, delete any entries in the
// follower's log after that point, and send the follower all of the leader's entries after that
// point." (Figure 7, all six followers.)
TEST(RaftPaper, sec5_3_leader_forces_divergent_followers_of_figure7_to_duplicate_its_log) {
  const std::vector<int64_t> leader_terms = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
  for (const std::vector<int64_t>& follower_terms : figure7_follower_logs()) {
    TestCluster cluster(ids({1, 2, 3}));
    cluster[1].reset_storage(log_with_terms(leader_terms),
                             HardState{Term(7), kNoNode, LogIndex(0)});
    cluster[2].reset_storage(log_with_terms(follower_terms),
                             HardState{Term(7), kNoNode, LogIndex(0)});
    cluster[3].reset_storage(log_with_terms(leader_terms),
                             HardState{Term(7), kNoNode, LogIndex(0)});
    cluster.elect(1);  // term 8; node 3 votes for it, node 2 may not
    cluster.propose(1, "after");
    EXPECT_EQ(stored_log(cluster[2]), stored_log(cluster[1]))
        << "follower with " << follower_terms.size() << " entries";
  }
}

// Thesis 3.5 / etcd: a rejection's hint lets the leader skip whole terms, so a long divergent
// tail costs a few round trips, not one per entry.
TEST(RaftPaper, sec5_3_leader_backs_off_on_conflict_by_whole_terms_not_entry_by_entry) {
  std::vector<int64_t> leader_terms(1, 1), follower_terms(1, 1);
  for (int i = 0; i < 50; ++i)
    leader_terms.push_back(3);
  for (int i = 0; i < 60; ++i)
    follower_terms.push_back(2);
  TestCluster cluster(ids({1, 2, 3}));
  cluster[1].reset_storage(log_with_terms(leader_terms), HardState{Term(3), kNoNode, LogIndex(1)});
  cluster[2].reset_storage(log_with_terms(follower_terms),
                           HardState{Term(3), kNoNode, LogIndex(1)});
  cluster[3].reset_storage(log_with_terms(leader_terms), HardState{Term(3), kNoNode, LogIndex(1)});
  int rejections = 0;
  cluster.set_drop_filter([&](const Message& m) {
    if (m.type == MessageType::kAppendResponse && m.reject && m.from == NodeId(2)) ++rejections;
    return false;
  });
  cluster.elect(1);
  cluster.propose(1, "x");
  EXPECT_EQ(stored_log(cluster[2]), stored_log(cluster[1]));
  EXPECT_LE(rejections, 3) << "back-off must skip the 60-entry divergent tail by term";
}

// --- 5.4 Safety ----------------------------------------------------------------------------------

// 5.4.1 "the voter denies its vote if its own log is more up-to-date than that of the candidate":
// compare the last entries' terms, then the lengths.
TEST(RaftPaper, sec5_4_1_voter_rejects_candidate_whose_log_is_less_up_to_date) {
  struct Case {
    int64_t last_term, last_index;
    bool rejected;
  };
  // Voter log: (1,1) (2,2).
  for (const Case& c : std::vector<Case>{
           {2, 2, false}, {2, 3, false}, {3, 1, false}, {2, 1, true}, {1, 3, true}, {0, 0, true}}) {
    NodeHarness h = three_node_harness();
    h.reset_storage(entries_with_terms(1, {1, 2}), HardState{Term(2), kNoNode, LogIndex(0)});
    Message vote = make_message(MessageType::kVote, 2, 1, 3);
    vote.log_term = Term(c.last_term);
    vote.index = LogIndex(c.last_index);
    ASSERT_TRUE(h.step(vote).ok());
    std::vector<Message> sent = of_type(h.drain(), MessageType::kVoteResponse);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].reject, c.rejected) << c.last_term << "/" << c.last_index;
  }
}

// 5.4.2 "Raft never commits log entries from previous terms by counting replicas. Only log
// entries from the leader's current term are committed by counting replicas."
TEST(RaftPaper, sec5_4_2_leader_only_commits_entries_from_current_term_by_counting) {
  NodeHarness h = three_node_harness();
  h.reset_storage(entries_with_terms(1, {1, 2}), HardState{Term(2), kNoNode, LogIndex(0)});
  h.elect();  // term 3; its no-op is index 3
  Message ack = make_message(MessageType::kAppendResponse, 2, 1, 3);
  ack.index = LogIndex(2);  // a majority (1, 2) now holds index 2 of term 2...
  ASSERT_TRUE(h.step(ack).ok());
  h.drain();
  EXPECT_EQ(h.node().status().commit, LogIndex(0)) << "...which must not commit it";
  ack.index = LogIndex(3);  // the current-term no-op on a majority commits everything
  ASSERT_TRUE(h.step(ack).ok());
  h.drain();
  EXPECT_EQ(h.node().status().commit, LogIndex(3));
}

// Figure 8: an entry of an old term stored on a majority can still be overwritten by a future
// leader, so it must not count as committed. Indexes shift by one against the figure because
// the first leader's no-op occupies index 1.
TEST(RaftPaper,
     sec5_4_2_figure8_old_term_entry_on_majority_is_not_committed_and_may_be_overwritten) {
  TestCluster cluster(ids({1, 2, 3, 4, 5}), [](Config& c) { c.max_append_entries = 1; });
  cluster.elect(1);  // term 1, no-op committed at index 1 everywhere

  // (a) S1 (term 1) appends "x" at index 2 but sends it to nobody, then crashes.
  for (int id : {2, 3, 4, 5})
    cluster.isolate(id);
  cluster.propose(1, "x");
  cluster.heal();
  cluster.isolate(1);
  cluster[1].restart();

  // (b) S5 wins term 2 (votes of S2, S3, S4) and appends its no-op at index 2, but nobody
  // receives it; S5 crashes.
  cluster.set_drop_filter(
      [](const Message& m) { return m.from == NodeId(5) && m.type == MessageType::kAppend; });
  cluster.elect(5);
  cluster.isolate(5);
  cluster[5].restart();

  // (c) S1 restarts and wins a later term with S2 and S3, and copies "x" (term 1) to them; its
  // own no-op (current term) does not get through. "x" is on a majority, and S1 knows it.
  cluster.heal();
  cluster.isolate(4);
  cluster.isolate(5);
  cluster.set_drop_filter([&](const Message& m) {
    return m.type == MessageType::kAppend && !m.entries.empty() && m.entries[0].term > Term(1) &&
           cluster[m.to.value()].storage().last_index() >= LogIndex(2);
  });
  for (int attempt = 0; attempt < 3 && cluster.node(1).role() != Role::kLeader; ++attempt) {
    cluster.node(1).campaign();
    cluster.stabilize();
  }
  ASSERT_EQ(cluster.node(1).role(), Role::kLeader);
  cluster.tick_all(3);
  for (int id : {2, 3}) {
    EXPECT_EQ(cluster[id].storage().term(LogIndex(2)).value_or(Term(0)), Term(1))
        << "x should be on S" << id;
  }
  NodeStatus leader = cluster.node(1).status();
  EXPECT_EQ(leader.progress[1].match, LogIndex(2));
  EXPECT_EQ(leader.progress[2].match, LogIndex(2));
  EXPECT_EQ(leader.commit, LogIndex(1)) << "Figure 8 (c): x must not be committed by counting";

  // (d) S1 crashes; S5 wins a newer term with S2, S3, S4 and overwrites index 2 everywhere.
  cluster.set_drop_filter(nullptr);
  cluster.heal();
  cluster.isolate(1);
  cluster[1].restart();
  for (int attempt = 0; attempt < 3 && cluster.node(5).role() != Role::kLeader; ++attempt) {
    cluster.node(5).campaign();
    cluster.stabilize();
  }
  ASSERT_EQ(cluster.node(5).role(), Role::kLeader);
  cluster.heal();
  cluster.tick_all(3);
  for (int id = 1; id <= 5; ++id) {
    EXPECT_EQ(cluster[id].storage().term(LogIndex(2)).value_or(Term(0)), Term(2)) << id;
    EXPECT_GE(cluster.node(id).status().commit, LogIndex(3)) << id;
    for (const std::string& data : cluster[id].applied_data())
      EXPECT_NE(data, "x") << id;
  }
}

// 5.4.3 Leader Completeness, exercised: a node missing committed entries cannot win an election.
TEST(RaftPaper, sec5_4_3_node_missing_committed_entries_cannot_become_leader) {
  TestCluster cluster(ids({1, 2, 3}));
  cluster.elect(1);
  cluster.isolate(3);
  cluster.propose(1, "committed");  // on 1 and 2
  ASSERT_EQ(cluster.node(1).status().commit, LogIndex(2));
  cluster.heal();
  cluster.isolate(1);
  cluster[3].restart();
  cluster.node(3).campaign();
  cluster.stabilize();
  EXPECT_NE(cluster.node(3).role(), Role::kLeader);
  cluster.node(2).campaign();
  cluster.stabilize();
  EXPECT_EQ(cluster.node(2).role(), Role::kLeader);
}

// --- 5.5 Follower and candidate crashes ----------------------------------------------------------

// "If a follower or candidate crashes ... Raft RPCs are idempotent": a duplicated Append changes
// nothing and is acknowledged again.
TEST(RaftPaper, sec5_5_duplicated_append_is_idempotent) {
  NodeHarness h = three_node_harness();
  const Message append = make_append(2, 1, 1, 0, 0, entries_with_terms(1, {1, 1}), 1);
  ASSERT_TRUE(h.step(append).ok());
  h.drain();
  ASSERT_TRUE(h.step(append).ok());
  std::vector<Message> sent = of_type(h.drain(), MessageType::kAppendResponse);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_FALSE(sent[0].reject);
  EXPECT_EQ(sent[0].index, LogIndex(1)) << "acknowledged up to the commit index";
  EXPECT_EQ(h.storage().last_index(), LogIndex(2));
  EXPECT_EQ(h.applied().size(), 1u);
}

}  // namespace
}  // namespace ferry::raft::test
