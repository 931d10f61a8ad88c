// The building blocks: MemoryStorage, UnstableLog, RaftLog, Progress/Inflights, quorum
// arithmetic and message validation.
#include <gtest/gtest.h>

#include "controller/raft/progress.h"
#include "controller/raft/raft_log.h"
#include "controller/raft/unstable_log.h"
#include "tests/controller/raft/raft_test_util.h"

namespace ferry::raft::test {
namespace {

std::vector<int64_t> terms_of(const std::vector<Entry>& entries) {
  std::vector<int64_t> out;
  for (const Entry& e : entries)
    out.push_back(e.term.value());
  return out;
}

// --- MemoryStorage -------------------------------------------------------------------------------

TEST(MemoryStorage, append_replaces_the_conflicting_suffix_and_refuses_gaps) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.append(entries_with_terms(1, {1, 1, 1})).ok());
  ASSERT_TRUE(storage.append(entries_with_terms(2, {2})).ok());
  EXPECT_EQ(storage.last_index(), LogIndex(2));
  EXPECT_EQ(terms_of(*storage.entries(LogIndex(1), LogIndex(3), UINT64_MAX)),
            (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(storage.append(entries_with_terms(5, {2})).code(), ErrorCode::INVALID_REQUEST);
}

TEST(MemoryStorage, compaction_keeps_the_term_of_the_last_discarded_entry) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.append(entries_with_terms(1, {1, 2, 3, 4})).ok());
  ASSERT_TRUE(storage.create_snapshot(LogIndex(3), make_conf_state(ids({1})), to_bytes("s")).ok());
  ASSERT_TRUE(storage.compact(LogIndex(3)).ok());
  EXPECT_EQ(storage.first_index(), LogIndex(4));
  EXPECT_EQ(storage.last_index(), LogIndex(4));
  EXPECT_EQ(*storage.term(LogIndex(3)), Term(3));
  EXPECT_EQ(storage.term(LogIndex(2)).code(), kCompactedError);
  EXPECT_EQ(storage.entries(LogIndex(3), LogIndex(5), UINT64_MAX).code(), kCompactedError);
  EXPECT_EQ(storage.snapshot()->metadata.term, Term(3));
  // Appending entries already covered by the snapshot skips them.
  ASSERT_TRUE(storage.append(entries_with_terms(2, {2, 3, 4, 5})).ok());
  EXPECT_EQ(storage.last_index(), LogIndex(5));
}

TEST(MemoryStorage, entries_stop_at_max_bytes_but_return_at_least_one) {
  MemoryStorage storage;
  std::vector<Entry> entries = entries_with_terms(1, {1, 1, 1});
  for (Entry& e : entries)
    e.data = Bytes(100, 'x');
  ASSERT_TRUE(storage.append(entries).ok());
  EXPECT_EQ(storage.entries(LogIndex(1), LogIndex(4), 1)->size(), 1u);
  EXPECT_EQ(storage.entries(LogIndex(1), LogIndex(4), 2 * entry_size_bytes(entries[0]))->size(),
            2u);
}

TEST(MemoryStorage, apply_snapshot_replaces_the_log_but_not_with_an_older_one) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.append(entries_with_terms(1, {1, 1})).ok());
  Snapshot snapshot{SnapshotMetadata{LogIndex(5), Term(2), make_conf_state(ids({1, 2}))}, {}};
  ASSERT_TRUE(storage.apply_snapshot(snapshot).ok());
  EXPECT_EQ(storage.first_index(), LogIndex(6));
  EXPECT_EQ(storage.last_index(), LogIndex(5));
  EXPECT_EQ(storage.initial_state()->snapshot.conf_state, make_conf_state(ids({1, 2})));
  snapshot.metadata.index = LogIndex(4);
  EXPECT_EQ(storage.apply_snapshot(snapshot).code(), ErrorCode::INVALID_REQUEST);
}

// --- UnstableLog ---------------------------------------------------------------------------------

TEST(UnstableLog, truncate_and_append_handles_append_overlap_and_replacement_before_offset) {
  UnstableLog u(LogIndex(5));
  u.truncate_and_append(entries_with_terms(5, {1, 1, 1}));  // 5 6 7
  u.truncate_and_append(entries_with_terms(8, {1}));        // continues
  EXPECT_EQ(*u.maybe_last_index(), LogIndex(8));
  u.truncate_and_append(entries_with_terms(7, {2}));  // truncates 7, 8
  EXPECT_EQ(terms_of(u.entries()), (std::vector<int64_t>{1, 1, 2}));
  u.truncate_and_append(entries_with_terms(3, {3}));  // before the offset: replaces everything
  EXPECT_EQ(u.offset(), LogIndex(3));
  EXPECT_EQ(terms_of(u.entries()), (std::vector<int64_t>{3}));
}

TEST(UnstableLog, stable_to_ignores_entries_replaced_since_the_ready) {
  UnstableLog u(LogIndex(1));
  u.truncate_and_append(entries_with_terms(1, {1, 1}));
  u.truncate_and_append(entries_with_terms(2, {2}));  // index 2 replaced after a Ready had (1,2)
  u.stable_to(EntryId{Term(1), LogIndex(2)});
  EXPECT_EQ(u.offset(), LogIndex(1)) << "stale report ignored";
  u.stable_to(EntryId{Term(2), LogIndex(2)});
  EXPECT_TRUE(u.entries().empty());
  EXPECT_EQ(u.offset(), LogIndex(3));
}

TEST(UnstableLog, restore_makes_the_snapshot_the_log_start) {
  UnstableLog u(LogIndex(1));
  u.truncate_and_append(entries_with_terms(1, {1}));
  u.restore(Snapshot{SnapshotMetadata{LogIndex(9), Term(4), {}}, {}});
  EXPECT_EQ(*u.maybe_first_index(), LogIndex(10));
  EXPECT_EQ(*u.maybe_last_index(), LogIndex(9));
  EXPECT_EQ(*u.maybe_term(LogIndex(9)), Term(4));
  EXPECT_FALSE(u.maybe_term(LogIndex(1)).has_value());
  u.stable_snap_to(LogIndex(9));
  EXPECT_FALSE(u.snapshot().has_value());
}

// --- RaftLog -------------------------------------------------------------------------------------

TEST(RaftLog, reads_span_stable_and_unstable_entries) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.append(entries_with_terms(1, {1, 1, 2})).ok());
  RaftLog log(storage);
  log.append(entries_with_terms(4, {3, 3}));
  EXPECT_EQ(log.last_index(), LogIndex(5));
  EXPECT_EQ(log.last_term(), Term(3));
  EXPECT_EQ(terms_of(*log.slice(LogIndex(2), LogIndex(6), UINT64_MAX)),
            (std::vector<int64_t>{1, 2, 3, 3}));
  EXPECT_EQ(log.last_stable_index(), LogIndex(3));
  log.stable_to(EntryId{Term(3), LogIndex(5)});
  EXPECT_EQ(log.last_stable_index(), LogIndex(3)) << "until storage holds them";
  ASSERT_TRUE(storage.append(entries_with_terms(4, {3, 3})).ok());
  EXPECT_EQ(log.last_stable_index(), LogIndex(5));
}

TEST(RaftLog, maybe_append_truncates_only_uncommitted_conflicts_and_commits_up_to_last_new_entry) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.append(entries_with_terms(1, {1, 1, 1})).ok());
  RaftLog log(storage);
  log.commit_to(LogIndex(1));
  auto result =
      log.maybe_append(EntryId{Term(1), LogIndex(1)}, LogIndex(9), entries_with_terms(2, {2}));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(**result, LogIndex(2));
  EXPECT_EQ(log.last_index(), LogIndex(2)) << "conflicting (1,2)(1,3) replaced by (2,2)";
  EXPECT_EQ(log.committed(), LogIndex(2)) << "min(leader commit 9, last new 2)";
  auto mismatch = log.maybe_append(EntryId{Term(5), LogIndex(2)}, LogIndex(2), {});
  ASSERT_TRUE(mismatch.ok());
  EXPECT_FALSE(mismatch->has_value());
  auto overwrite =
      log.maybe_append(EntryId{Term(1), LogIndex(1)}, LogIndex(2), entries_with_terms(2, {3}));
  EXPECT_EQ(overwrite.code(), ErrorCode::INVALID_REQUEST);
}

TEST(RaftLog, find_conflict_by_term_skips_entries_with_larger_terms) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.append(entries_with_terms(1, {1, 3, 3, 4, 4, 5})).ok());
  RaftLog log(storage);
  EXPECT_EQ(log.find_conflict_by_term(LogIndex(6), Term(4)), (EntryId{Term(4), LogIndex(5)}));
  EXPECT_EQ(log.find_conflict_by_term(LogIndex(6), Term(2)), (EntryId{Term(1), LogIndex(1)}));
  EXPECT_EQ(log.find_conflict_by_term(LogIndex(6), Term(0)), (EntryId{}));
  EXPECT_EQ(log.find_conflict_by_term(LogIndex(60), Term(9)), (EntryId{Term(5), LogIndex(6)}));
}

TEST(RaftLog, is_up_to_date_compares_last_term_then_length) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.append(entries_with_terms(1, {1, 2, 2})).ok());
  RaftLog log(storage);
  EXPECT_TRUE(log.is_up_to_date(EntryId{Term(3), LogIndex(1)}));
  EXPECT_TRUE(log.is_up_to_date(EntryId{Term(2), LogIndex(3)}));
  EXPECT_FALSE(log.is_up_to_date(EntryId{Term(2), LogIndex(2)}));
  EXPECT_FALSE(log.is_up_to_date(EntryId{Term(1), LogIndex(9)}));
}

TEST(RaftLog, maybe_commit_requires_the_given_term_at_the_index) {
  MemoryStorage storage;
  ASSERT_TRUE(storage.append(entries_with_terms(1, {1, 2})).ok());
  RaftLog log(storage);
  EXPECT_FALSE(log.maybe_commit(EntryId{Term(2), LogIndex(1)}));
  EXPECT_TRUE(log.maybe_commit(EntryId{Term(2), LogIndex(2)}));
  EXPECT_FALSE(log.maybe_commit(EntryId{Term(1), LogIndex(1)})) << "never moves back";
  EXPECT_EQ(log.committed(), LogIndex(2));
}

TEST(RaftLog, next_committed_entries_wait_for_a_pending_snapshot) {
  MemoryStorage storage;
  RaftLog log(storage);
  log.restore(Snapshot{SnapshotMetadata{LogIndex(5), Term(2), make_conf_state(ids({1}))}, {}});
  EXPECT_EQ(log.committed(), LogIndex(5));
  EXPECT_FALSE(log.has_next_committed_entries());
  EXPECT_EQ(log.term(LogIndex(4)).code(), kCompactedError);
  EXPECT_EQ(*log.term(LogIndex(5)), Term(2));
}

// --- Progress, Inflights, quorum -----------------------------------------------------------------

TEST(Progress, probe_becomes_replicate_and_rejections_lower_next_only_when_not_stale) {
  Progress pr(LogIndex(10), 4, 0);
  EXPECT_FALSE(pr.maybe_decr_to(LogIndex(5), LogIndex(3))) << "probe at 9: other index is stale";
  EXPECT_TRUE(pr.maybe_decr_to(LogIndex(9), LogIndex(3)));
  EXPECT_EQ(pr.next, LogIndex(4));
  EXPECT_TRUE(pr.maybe_update(LogIndex(3)));
  pr.become_replicate();
  EXPECT_EQ(pr.next, LogIndex(4));
  pr.sent_append(3, 30, LogIndex(3));
  EXPECT_EQ(pr.next, LogIndex(7));
  EXPECT_FALSE(pr.maybe_decr_to(LogIndex(2), LogIndex(0))) << "at or below match: stale";
  EXPECT_TRUE(pr.maybe_decr_to(LogIndex(6), LogIndex(0)));
  EXPECT_EQ(pr.next, LogIndex(4));
}

TEST(Progress, snapshot_state_pauses_until_probe_resumes_after_the_snapshot) {
  Progress pr(LogIndex(2), 4, 0);
  pr.become_snapshot(LogIndex(20));
  EXPECT_FALSE(pr.should_send_append(LogIndex(30), LogIndex(30)));
  pr.become_probe();
  EXPECT_EQ(pr.next, LogIndex(21));
  EXPECT_TRUE(pr.should_send_append(LogIndex(30), LogIndex(30)));
}

TEST(Inflights, full_at_count_or_bytes_and_freed_by_acknowledgement) {
  Inflights in(3, 100);
  in.add(LogIndex(1), 10);
  in.add(LogIndex(2), 10);
  EXPECT_FALSE(in.full());
  in.add(LogIndex(3), 10);
  EXPECT_TRUE(in.full());
  in.free_le(LogIndex(2));
  EXPECT_EQ(in.count(), 1u);
  EXPECT_FALSE(in.full());
  in.add(LogIndex(9), 95);
  EXPECT_TRUE(in.full()) << "bytes limit";
}

TEST(Quorum, committed_index_is_the_majority_acknowledged_index) {
  std::map<NodeId, LogIndex> match = {{NodeId(1), LogIndex(5)},
                                      {NodeId(2), LogIndex(3)},
                                      {NodeId(3), LogIndex(9)},
                                      {NodeId(4), LogIndex(1)},
                                      {NodeId(5), LogIndex(3)}};
  const std::vector<NodeId> voters = ids({1, 2, 3, 4, 5});
  EXPECT_EQ(majority_committed_index(voters, [&](NodeId id) { return match[id]; }), LogIndex(3));
  EXPECT_EQ(majority_committed_index(ids({1, 3}), [&](NodeId id) { return match[id]; }),
            LogIndex(5));
}

TEST(Quorum, vote_result_is_won_lost_or_pending) {
  const std::vector<NodeId> voters = ids({1, 2, 3, 4, 5});
  std::map<NodeId, bool> votes = {{NodeId(1), true}, {NodeId(2), true}};
  EXPECT_EQ(majority_vote_result(voters, votes), VoteResult::kPending);
  votes[NodeId(9)] = true;  // not a voter: does not count
  EXPECT_EQ(majority_vote_result(voters, votes), VoteResult::kPending);
  votes[NodeId(3)] = true;
  EXPECT_EQ(majority_vote_result(voters, votes), VoteResult::kWon);
  votes = {{NodeId(1), true}, {NodeId(2), false}, {NodeId(3), false}, {NodeId(4), false}};
  EXPECT_EQ(majority_vote_result(voters, votes), VoteResult::kLost);
}

// --- Messages ------------------------------------------------------------------------------------

TEST(Message, validate_accepts_well_formed_messages_of_every_type) {
  for (int t = 0; t < kMessageTypeCount; ++t) {
    Message m = make_message(static_cast<MessageType>(t), 1, 2, 3);
    if (m.type == MessageType::kInstallSnapshot) {
      m.snapshot =
          Snapshot{SnapshotMetadata{LogIndex(4), Term(2), make_conf_state(ids({1, 2}))}, {}};
    }
    if (m.type == MessageType::kAppend) {
      m.log_term = Term(1);
      m.index = LogIndex(4);
      m.entries = entries_with_terms(5, {2, 3});
    }
    EXPECT_TRUE(validate_message(m).ok()) << describe(m);
  }
}

}  // namespace
}  // namespace ferry::raft::test
