#include "replication/leader_state.h"
#include "replication/waiter_queue.h"

#include <gtest/gtest.h>

namespace ferry::replication {
namespace {

const NodeId kLeader{1}, kF1{2}, kF2{3};
const BrokerEpoch kF1Epoch{100}, kF2Epoch{200};
constexpr int64_t kMaxLagMs = 30000;

PartitionAssignment assignment(std::vector<NodeId> replicas, std::vector<NodeId> isr,
                               int32_t leader_epoch = 1, int32_t partition_epoch = 1) {
  return PartitionAssignment{std::move(replicas), std::move(isr), kLeader,
                             LeaderEpoch(leader_epoch), PartitionEpoch(partition_epoch)};
}

std::map<NodeId, BrokerEndpoint> live_brokers() {
  return {
      {kLeader, {"h", 1, BrokerEpoch(10)}}, {kF1, {"h", 2, kF1Epoch}}, {kF2, {"h", 3, kF2Epoch}}};
}

LeaderState three_replicas(AckMode mode, std::vector<NodeId> isr = {kLeader, kF1, kF2}) {
  return LeaderState(kLeader, assignment({kLeader, kF1, kF2}, std::move(isr)), mode, Offset(0),
                     Offset(0), Offset(0), Offset(0), 0);
}

TEST(LeaderState, durable_mode_advances_hw_only_after_fsync) {
  LeaderState s(kLeader, assignment({kLeader}, {kLeader}), AckMode::kDurable, Offset(0), Offset(0),
                Offset(0), Offset(0), 0);
  EXPECT_FALSE(s.on_local_append(Offset(10), 1).has_value());
  EXPECT_EQ(s.high_watermark(), Offset(0));
  EXPECT_EQ(s.on_local_durable(Offset(10), 2), Offset(10));
}

TEST(LeaderState, page_cache_mode_advances_hw_on_append) {
  LeaderState s(kLeader, assignment({kLeader}, {kLeader}), AckMode::kPageCache, Offset(0),
                Offset(0), Offset(0), Offset(0), 0);
  EXPECT_EQ(s.on_local_append(Offset(10), 1), Offset(10));
}

TEST(LeaderState, hw_is_the_minimum_of_durable_ends_over_the_isr_and_ignores_non_members) {
  auto s = three_replicas(AckMode::kDurable, {kLeader, kF1});
  s.on_local_append(Offset(100), 1);
  s.on_local_durable(Offset(100), 1);
  EXPECT_EQ(s.high_watermark(), Offset(0));
  EXPECT_EQ(s.on_follower_fetch(kF1, kF1Epoch, Offset(60), Offset(50), 2), Offset(50))
      << "a follower's fetched-but-not-fsynced data does not count";
  EXPECT_FALSE(s.on_follower_fetch(kF2, kF2Epoch, Offset(5), Offset(5), 2).has_value())
      << "a replica outside the ISR does not hold the HW back or move it";
  EXPECT_EQ(s.on_follower_fetch(kF1, kF1Epoch, Offset(100), Offset(100), 3), Offset(100));
}

TEST(LeaderState, hw_never_goes_backwards_when_a_lagging_member_joins) {
  LeaderState s(kLeader, assignment({kLeader, kF1}, {kLeader}), AckMode::kPageCache, Offset(40),
                Offset(40), Offset(40), Offset(40), 0);
  EXPECT_EQ(s.high_watermark(), Offset(40));
  EXPECT_FALSE(
      s.on_assignment(assignment({kLeader, kF1}, {kLeader, kF1}, 1, 2), Offset(40), 1).has_value());
  EXPECT_EQ(s.high_watermark(), Offset(40));
}

TEST(LeaderState, a_new_leader_keeps_the_hw_it_knew_but_never_above_its_log_end) {
  LeaderState s(kLeader, assignment({kLeader, kF1}, {kLeader, kF1}, 5), AckMode::kDurable,
                Offset(80), Offset(90), Offset(90), Offset(90), 0);
  EXPECT_EQ(s.high_watermark(), Offset(80));
  EXPECT_EQ(s.epoch_start_offset(), Offset(90));
  EXPECT_TRUE(s.high_watermark_lags_epoch_start()) << "KIP-207: OFFSET_NOT_AVAILABLE until here";
  EXPECT_EQ(s.on_follower_fetch(kF1, kF1Epoch, Offset(90), Offset(90), 1), Offset(90));
  EXPECT_FALSE(s.high_watermark_lags_epoch_start());
  LeaderState capped(kLeader, assignment({kLeader}, {kLeader}), AckMode::kDurable, Offset(500),
                     Offset(90), Offset(90), Offset(90), 0);
  EXPECT_EQ(capped.high_watermark(), Offset(90));
}

TEST(LeaderState, unknown_follower_positions_hold_the_hw_after_election) {
  auto s = three_replicas(AckMode::kPageCache);
  EXPECT_FALSE(s.on_local_append(Offset(10), 1).has_value())
      << "followers have reported nothing to this leader yet";
  s.on_follower_fetch(kF1, kF1Epoch, Offset(10), Offset(10), 2);
  EXPECT_EQ(s.on_follower_fetch(kF2, kF2Epoch, Offset(7), Offset(7), 2), Offset(7));
}

TEST(LeaderState, a_member_lagging_longer_than_the_max_lag_is_proposed_for_removal) {
  auto s = three_replicas(AckMode::kPageCache);
  s.on_local_append(Offset(10), 0);
  s.on_follower_fetch(kF2, kF2Epoch, Offset(10), Offset(10), 0);
  EXPECT_FALSE(s.next_isr_change(kMaxLagMs, kMaxLagMs, live_brokers()).has_value());
  s.on_follower_fetch(kF2, kF2Epoch, Offset(10), Offset(10), kMaxLagMs + 1);
  const auto proposal = s.next_isr_change(kMaxLagMs + 1, kMaxLagMs, live_brokers());
  ASSERT_TRUE(proposal.has_value());
  EXPECT_EQ(proposal->new_isr, (std::vector<NodeId>{kLeader, kF2}));
  EXPECT_EQ(proposal->member_epochs, (std::vector<BrokerEpoch>{BrokerEpoch(-1), kF2Epoch}));
}

TEST(LeaderState, a_follower_at_the_leaders_log_end_is_never_dropped_even_after_idle_time) {
  auto s = three_replicas(AckMode::kPageCache);
  s.on_local_append(Offset(10), 0);
  s.on_follower_fetch(kF1, kF1Epoch, Offset(10), Offset(10), 0);
  s.on_follower_fetch(kF2, kF2Epoch, Offset(10), Offset(10), 0);
  EXPECT_FALSE(s.next_isr_change(10 * kMaxLagMs, kMaxLagMs, live_brokers()).has_value());
}

TEST(LeaderState, lag_rule_credits_a_fetch_that_reached_the_log_end_of_the_previous_fetch) {
  // Under steady load the follower never sees the leader's *current* end: each fetch reaches what
  // the leader had at the previous fetch. Kafka counts that as caught up as of the previous fetch.
  auto s = three_replicas(AckMode::kPageCache, {kLeader, kF1});
  int64_t now = 0;
  Offset end(0);
  for (int round = 0; round < 100; ++round) {
    const Offset seen = end;
    end = end + 100;
    s.on_local_append(end, now);
    s.on_follower_fetch(kF1, kF1Epoch, seen, seen, now);
    now += 1000;
  }
  EXPECT_FALSE(s.next_isr_change(now, kMaxLagMs, live_brokers()).has_value())
      << "a follower one fetch behind under steady load stays in the ISR";
}

TEST(LeaderState, a_follower_that_falls_behind_the_previous_fetch_end_ages_out) {
  auto s = three_replicas(AckMode::kPageCache, {kLeader, kF1});
  int64_t now = 0;
  for (int round = 1; round <= 40; ++round) {
    s.on_local_append(Offset(1000 * round), now);
    s.on_follower_fetch(kF1, kF1Epoch, Offset(round), Offset(round), now);  // crawling
    now += 1000;
  }
  const auto proposal = s.next_isr_change(now, kMaxLagMs, live_brokers());
  ASSERT_TRUE(proposal.has_value());
  EXPECT_EQ(proposal->new_isr, std::vector<NodeId>{kLeader});
}

TEST(LeaderState, a_replica_rejoins_only_at_the_hw_and_the_epoch_start) {
  // Leader elected at 50 (its epoch starts there) with HW 40.
  LeaderState s(kLeader, assignment({kLeader, kF1}, {kLeader}, 3), AckMode::kPageCache, Offset(40),
                Offset(50), Offset(50), Offset(50), 0);
  EXPECT_EQ(s.high_watermark(), Offset(50));
  s.on_follower_fetch(kF1, kF1Epoch, Offset(45), Offset(45), 1);
  EXPECT_FALSE(s.next_isr_change(1, kMaxLagMs, live_brokers()).has_value())
      << "below the HW and the epoch start";
  s.on_follower_fetch(kF1, kF1Epoch, Offset(50), Offset(50), 2);
  const auto proposal = s.next_isr_change(2, kMaxLagMs, live_brokers());
  ASSERT_TRUE(proposal.has_value());
  EXPECT_EQ(proposal->new_isr, (std::vector<NodeId>{kLeader, kF1}));
  EXPECT_EQ(proposal->member_epochs, (std::vector<BrokerEpoch>{BrokerEpoch(-1), kF1Epoch}));
}

TEST(LeaderState, durable_mode_needs_a_joiner_to_have_fsynced_up_to_the_hw) {
  auto s = three_replicas(AckMode::kDurable, {kLeader});
  s.on_local_append(Offset(20), 0);
  s.on_local_durable(Offset(20), 0);
  s.on_follower_fetch(kF1, kF1Epoch, Offset(20), Offset(10), 1);
  EXPECT_FALSE(s.next_isr_change(1, kMaxLagMs, live_brokers()).has_value());
  s.on_follower_fetch(kF1, kF1Epoch, Offset(20), Offset(20), 2);
  EXPECT_TRUE(s.next_isr_change(2, kMaxLagMs, live_brokers()).has_value());
}

TEST(LeaderState, kip903_a_replica_fetching_with_a_stale_broker_epoch_is_not_proposed) {
  auto s = three_replicas(AckMode::kPageCache, {kLeader});
  s.on_follower_fetch(kF1, BrokerEpoch(99), Offset(0), Offset(0), 1);
  EXPECT_FALSE(s.next_isr_change(1, kMaxLagMs, live_brokers()).has_value())
      << "the controller has epoch 100 registered for it";
  auto fenced = live_brokers();
  fenced.erase(kF1);
  s.on_follower_fetch(kF1, kF1Epoch, Offset(0), Offset(0), 2);
  EXPECT_FALSE(s.next_isr_change(2, kMaxLagMs, fenced).has_value()) << "not live";
  EXPECT_TRUE(s.next_isr_change(2, kMaxLagMs, live_brokers()).has_value());
}

TEST(LeaderState, kip497_the_hw_counts_the_maximal_isr_while_an_expansion_is_in_flight) {
  auto s = three_replicas(AckMode::kPageCache, {kLeader, kF1});
  s.on_local_append(Offset(10), 0);
  s.on_follower_fetch(kF1, kF1Epoch, Offset(10), Offset(10), 0);
  EXPECT_EQ(s.high_watermark(), Offset(10));
  s.on_follower_fetch(kF2, kF2Epoch, Offset(10), Offset(10), 1);
  ASSERT_TRUE(s.next_isr_change(1, kMaxLagMs, live_brokers()).has_value());
  EXPECT_EQ(s.maximal_isr(), (std::vector<NodeId>{kLeader, kF1, kF2}));
  s.on_local_append(Offset(20), 2);
  EXPECT_FALSE(s.on_follower_fetch(kF1, kF1Epoch, Offset(20), Offset(20), 2).has_value())
      << "F2 may already be in the controller's ISR: the HW waits for it too";
  EXPECT_EQ(s.on_follower_fetch(kF2, kF2Epoch, Offset(20), Offset(20), 3), Offset(20));
}

TEST(LeaderState, at_most_one_isr_change_is_in_flight) {
  auto s = three_replicas(AckMode::kPageCache, {kLeader});
  s.on_follower_fetch(kF1, kF1Epoch, Offset(0), Offset(0), 1);
  ASSERT_TRUE(s.next_isr_change(1, kMaxLagMs, live_brokers()).has_value());
  s.on_follower_fetch(kF2, kF2Epoch, Offset(0), Offset(0), 2);
  EXPECT_FALSE(s.next_isr_change(2, kMaxLagMs, live_brokers()).has_value());
  // The controller refused: the next check may propose again.
  s.on_alter_partition_result(std::nullopt, 3);
  const auto again = s.next_isr_change(3, kMaxLagMs, live_brokers());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->new_isr, (std::vector<NodeId>{kLeader, kF1, kF2}));
}

TEST(LeaderState, a_committed_alter_partition_answer_becomes_the_committed_isr) {
  auto s = three_replicas(AckMode::kPageCache, {kLeader});
  s.on_follower_fetch(kF1, kF1Epoch, Offset(0), Offset(0), 1);
  const auto proposal = s.next_isr_change(1, kMaxLagMs, live_brokers());
  ASSERT_TRUE(proposal.has_value());
  s.on_alter_partition_result(assignment({kLeader, kF1, kF2}, {kLeader, kF1}, 1, 2), 2);
  EXPECT_EQ(s.isr(), (std::vector<NodeId>{kLeader, kF1}));
  EXPECT_EQ(s.partition_epoch(), PartitionEpoch(2));
  EXPECT_FALSE(s.in_flight().has_value());
  // An older image arriving late does not undo it.
  s.on_assignment(assignment({kLeader, kF1, kF2}, {kLeader}, 1, 1), Offset(0), 3);
  EXPECT_EQ(s.isr(), (std::vector<NodeId>{kLeader, kF1}));
}

TEST(LeaderState, a_replica_set_change_without_an_epoch_change_updates_positions) {
  // Review finding: a new replica in the same leader epoch used to make positions_.at() throw.
  LeaderState s(kLeader, assignment({kLeader, kF1}, {kLeader, kF1}), AckMode::kPageCache, Offset(0),
                Offset(0), Offset(0), Offset(0), 0);
  s.on_assignment(assignment({kLeader, kF1, kF2}, {kLeader, kF1}, 1, 2), Offset(0), 1);
  ASSERT_NE(s.position(kF2), nullptr);
  s.on_follower_fetch(kF2, kF2Epoch, Offset(0), Offset(0), 2);
  EXPECT_TRUE(s.next_isr_change(2, kMaxLagMs, live_brokers()).has_value());
  s.on_alter_partition_result(std::nullopt, 3);
  s.on_assignment(assignment({kLeader, kF2}, {kLeader, kF2}, 1, 3), Offset(0), 4);
  EXPECT_EQ(s.position(kF1), nullptr) << "a removed replica's position goes";
  EXPECT_FALSE(s.on_follower_fetch(kF1, kF1Epoch, Offset(5), Offset(5), 5).has_value());
}

TEST(LeaderState, acks_policy_counts_the_committed_isr) {
  auto s = three_replicas(AckMode::kPageCache, {kLeader});
  EXPECT_EQ(s.check_append(Acks::kAll, 2, "t-0").code(), ErrorCode::NOT_ENOUGH_REPLICAS);
  EXPECT_TRUE(s.check_append(Acks::kLeader, 2, "t-0").ok()) << "acks=1 ignores min.insync";
  EXPECT_TRUE(s.check_append(Acks::kNone, 2, "t-0").ok());
  EXPECT_EQ(s.completion_code(2), ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND);
  EXPECT_EQ(s.completion_code(1), ErrorCode::NONE);
  s.on_follower_fetch(kF1, kF1Epoch, Offset(0), Offset(0), 1);
  ASSERT_TRUE(s.next_isr_change(1, kMaxLagMs, live_brokers()).has_value());
  EXPECT_EQ(s.check_append(Acks::kAll, 2, "t-0").code(), ErrorCode::NOT_ENOUGH_REPLICAS)
      << "a pending expansion does not count for min.insync.replicas";
}

TEST(WaiterQueue, releases_waiters_once_the_hw_reaches_their_offset) {
  WaiterQueue q;
  const auto a = q.add(Offset(5));
  const auto b = q.add(Offset(10));
  const auto c = q.add(Offset(5));
  EXPECT_TRUE(q.take_ready(Offset(4)).empty());
  EXPECT_EQ(q.take_ready(Offset(5)), (std::vector<WaiterQueue::Id>{a, c}));
  q.remove(b);
  EXPECT_TRUE(q.take_ready(Offset(100)).empty());
  q.add(Offset(7));
  EXPECT_EQ(q.take_all().size(), 1u);
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace ferry::replication
