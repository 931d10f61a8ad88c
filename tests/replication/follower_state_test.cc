#include "replication/follower_state.h"

#include <gtest/gtest.h>

namespace ferry::replication {
namespace {

using Step = FollowerState::Step;
const NodeId kLeader{1};

// A follower log described by its epoch cache ("epoch@start") and end.
LocalLog log_with(std::vector<storage::EpochEntry> entries, Offset end, Offset start = Offset(0)) {
  auto cache = std::make_shared<storage::LeaderEpochCache>(std::move(entries));
  LocalLog log;
  log.log_start = start;
  log.log_end = end;
  log.durable_end = end;
  log.latest_epoch = cache->latest() ? cache->latest()->epoch : LeaderEpoch(-1);
  log.end_offset_for = [cache, end](LeaderEpoch e) { return cache->end_offset_for(e, end); };
  return log;
}

storage::EpochEntry at(int32_t epoch, int64_t start) {
  return {LeaderEpoch(epoch), Offset(start)};
}

LeaderAnswer diverging(int32_t epoch, int64_t end_offset, int64_t hw = 0) {
  LeaderAnswer a;
  a.high_watermark = Offset(hw);
  a.log_start = Offset(0);
  a.diverging = storage::EpochEndOffset{LeaderEpoch(epoch), Offset(end_offset)};
  return a;
}

TEST(FollowerState, fetches_from_its_log_end_naming_its_latest_epoch_and_durable_end) {
  FollowerState f(kLeader, LeaderEpoch(7), Offset(3));
  auto log = log_with({at(2, 0), at(5, 40)}, Offset(60));
  log.durable_end = Offset(55);
  const FetchPosition p = f.next_fetch(log);
  EXPECT_EQ(p.fetch_offset, Offset(60));
  EXPECT_EQ(p.last_fetched_epoch, LeaderEpoch(5));
  EXPECT_EQ(p.current_leader_epoch, LeaderEpoch(7));
  EXPECT_EQ(p.durable_end, Offset(55));
  EXPECT_EQ(p.high_watermark, Offset(3));
}

TEST(FollowerState, kip101_truncates_to_the_leaders_end_of_a_shared_epoch) {
  // Follower has epoch 3 up to 120; the leader's epoch 3 ended at 100.
  FollowerState f(kLeader, LeaderEpoch(4), Offset(0));
  const auto log = log_with({at(1, 0), at(3, 50)}, Offset(120));
  const auto d = f.on_answer(f.next_fetch(log), diverging(3, 100), log);
  EXPECT_EQ(d.step, Step::kTruncate);
  EXPECT_EQ(d.offset, Offset(100));
}

TEST(FollowerState, truncation_never_goes_past_the_followers_own_end_of_the_epoch) {
  FollowerState f(kLeader, LeaderEpoch(4), Offset(0));
  // Follower: epoch 1 from 0, epoch 3 from 50 (so its epoch 1 ends at 50). Leader: epoch 1 ended
  // at 70 there.
  const auto log = log_with({at(1, 0), at(3, 50)}, Offset(90));
  const auto d = f.on_answer(f.next_fetch(log), diverging(1, 70), log);
  EXPECT_EQ(d.step, Step::kTruncate);
  EXPECT_EQ(d.offset, Offset(50));
}

TEST(FollowerState, kip279_walks_back_across_an_epoch_it_never_had) {
  // Follower: epoch 3 from 50, then it led epoch 5 from 100 (an empty epoch recorded at its log
  // end on election). Leader: epoch 4 from 90. The leader answers {4, 95}; the follower never had
  // epoch 4, so it cuts to the end of its epoch 3 (= where its epoch 5 starts, its log end) and
  // the storage drops the empty epoch 5 entry; the next round names epoch 3.
  FollowerState f(kLeader, LeaderEpoch(6), Offset(0));
  const auto log = log_with({at(3, 50), at(5, 100)}, Offset(100));
  const auto first = f.on_answer(f.next_fetch(log), diverging(4, 95), log);
  EXPECT_EQ(first.step, Step::kTruncate);
  EXPECT_EQ(first.offset, Offset(100));
  const auto after = log_with({at(3, 50)}, Offset(100));
  EXPECT_EQ(f.next_fetch(after).last_fetched_epoch, LeaderEpoch(3));
  const auto second = f.on_answer(f.next_fetch(after), diverging(3, 90), after);
  EXPECT_EQ(second.step, Step::kTruncate);
  EXPECT_EQ(second.offset, Offset(90));
}

TEST(FollowerState, a_follower_without_any_epoch_at_or_below_truncates_to_the_leaders_offset) {
  FollowerState f(kLeader, LeaderEpoch(9), Offset(0));
  const auto log = log_with({at(8, 30)}, Offset(40), Offset(30));
  const auto d = f.on_answer(f.next_fetch(log), diverging(6, 35), log);
  EXPECT_EQ(d.step, Step::kTruncate);
  EXPECT_EQ(d.offset, Offset(30)) << "its epoch 8 starts at 30: epoch 6 'ends' there";
}

TEST(FollowerState, an_undefined_divergence_restarts_the_log_at_the_leaders_start) {
  FollowerState f(kLeader, LeaderEpoch(2), Offset(0));
  const auto log = log_with({at(1, 0)}, Offset(10));
  LeaderAnswer a = diverging(-1, -1);
  a.log_start = Offset(4);
  const auto d = f.on_answer(f.next_fetch(log), a, log);
  EXPECT_EQ(d.step, Step::kRestart);
  EXPECT_EQ(d.offset, Offset(4));
}

TEST(FollowerState, out_of_range_below_the_leaders_log_start_restarts_there) {
  FollowerState f(kLeader, LeaderEpoch(2), Offset(0));
  const auto log = log_with({at(1, 0)}, Offset(10));
  LeaderAnswer a;
  a.error = ErrorCode::OFFSET_OUT_OF_RANGE;
  a.log_start = Offset(500);
  const auto d = f.on_answer(f.next_fetch(log), a, log);
  EXPECT_EQ(d.step, Step::kRestart);
  EXPECT_EQ(d.offset, Offset(500));
}

TEST(FollowerState, stale_leadership_errors_back_off_without_touching_the_log) {
  FollowerState f(kLeader, LeaderEpoch(2), Offset(0));
  const auto log = log_with({at(1, 0)}, Offset(10));
  for (auto code : {ErrorCode::NOT_LEADER_OR_FOLLOWER, ErrorCode::FENCED_LEADER_EPOCH,
                    ErrorCode::UNKNOWN_LEADER_EPOCH, ErrorCode::UNKNOWN_TOPIC_ID}) {
    LeaderAnswer a;
    a.error = code;
    const auto d = f.on_answer(f.next_fetch(log), a, log);
    EXPECT_EQ(d.step, Step::kRetryLater) << error_name(code);
    EXPECT_EQ(d.error, code);
  }
}

TEST(FollowerState, hw_is_the_leaders_hw_capped_at_the_local_log_end) {
  FollowerState f(kLeader, LeaderEpoch(2), Offset(0));
  const auto log = log_with({at(1, 0)}, Offset(10));
  LeaderAnswer a;
  a.high_watermark = Offset(25);
  a.log_start = Offset(0);
  a.has_records = true;
  EXPECT_EQ(f.on_answer(f.next_fetch(log), a, log).step, Step::kAppend);
  EXPECT_EQ(f.on_log_changed(Offset(20)), Offset(20)) << "appended up to 20 only";
  EXPECT_EQ(f.on_log_changed(Offset(30)), Offset(25));
}

TEST(FollowerState, hw_after_a_truncation_is_at_most_the_new_log_end) {
  FollowerState f(kLeader, LeaderEpoch(4), Offset(0));
  const auto log = log_with({at(3, 0)}, Offset(120));
  const auto d = f.on_answer(f.next_fetch(log), diverging(3, 100, /*hw=*/110), log);
  ASSERT_EQ(d.step, Step::kTruncate);
  EXPECT_EQ(f.on_log_changed(Offset(100)), Offset(100));
}

TEST(FollowerState, the_leaders_log_start_moves_the_followers_within_its_hw) {
  FollowerState f(kLeader, LeaderEpoch(2), Offset(0));
  const auto log = log_with({at(1, 0)}, Offset(50));
  LeaderAnswer a;
  a.high_watermark = Offset(40);
  a.log_start = Offset(30);
  auto d = f.on_answer(f.next_fetch(log), a, log);
  EXPECT_EQ(d.step, Step::kNothing);
  EXPECT_EQ(d.advance_log_start_to, Offset(30));
  EXPECT_EQ(f.high_watermark(), Offset(40));
  a.log_start = Offset(45);
  d = f.on_answer(f.next_fetch(log), a, log);
  EXPECT_FALSE(d.advance_log_start_to.has_value()) << "never delete at or above our HW";
}

}  // namespace
}  // namespace ferry::replication
