#include "replication/partition_state.h"

#include <gtest/gtest.h>

namespace ferry::replication {
namespace {

const NodeId kLeader{1}, kF1{2}, kF2{3};

LeaderState single_replica(AckMode mode) {
  return LeaderState(kLeader, LeaderEpoch(1), {kLeader}, {kLeader}, mode, Offset(0),
                     ReplicaPosition{Offset(0), Offset(0), 0}, 0);
}

TEST(LeaderState, durable_mode_advances_hw_only_after_fsync) {
  auto s = single_replica(AckMode::kDurable);
  EXPECT_FALSE(s.on_local_append(Offset(10), 1).has_value());
  EXPECT_EQ(s.high_watermark(), Offset(0));
  EXPECT_EQ(s.on_local_durable(Offset(10), 2), Offset(10));
}

TEST(LeaderState, page_cache_mode_advances_hw_on_append) {
  auto s = single_replica(AckMode::kPageCache);
  EXPECT_EQ(s.on_local_append(Offset(10), 1), Offset(10));
}

TEST(LeaderState, hw_is_the_minimum_over_the_isr_and_ignores_non_members) {
  LeaderState s(kLeader, LeaderEpoch(3), {kLeader, kF1, kF2}, {kLeader, kF1}, AckMode::kDurable,
                Offset(0), ReplicaPosition{Offset(0), Offset(0), 0}, 0);
  s.on_local_append(Offset(100), 1);
  s.on_local_durable(Offset(100), 1);
  EXPECT_EQ(s.high_watermark(), Offset(0));
  EXPECT_EQ(s.on_follower_fetch(kF1, Offset(60), Offset(50), 2), Offset(50));
  EXPECT_FALSE(s.on_follower_fetch(kF2, Offset(5), Offset(5), 2).has_value())
      << "a replica outside the ISR does not hold the HW back or move it";
  EXPECT_EQ(s.on_follower_fetch(kF1, Offset(100), Offset(100), 3), Offset(100));
}

TEST(LeaderState, hw_never_goes_backwards) {
  LeaderState s(kLeader, LeaderEpoch(2), {kLeader, kF1}, {kLeader}, AckMode::kPageCache, Offset(40),
                ReplicaPosition{Offset(40), Offset(40), 0}, 0);
  EXPECT_EQ(s.high_watermark(), Offset(40));
  // The follower joins the ISR while behind: HW stays put rather than regress.
  EXPECT_FALSE(s.on_isr_committed({kLeader, kF1}).has_value());
  EXPECT_EQ(s.high_watermark(), Offset(40));
}

TEST(LeaderState, lagging_followers_are_proposed_for_shrink_and_caught_up_ones_for_expand) {
  LeaderState s(kLeader, LeaderEpoch(1), {kLeader, kF1, kF2}, {kLeader, kF1}, AckMode::kPageCache,
                Offset(0), ReplicaPosition{Offset(0), Offset(0), 0}, 0);
  s.on_local_append(Offset(10), 0);
  EXPECT_TRUE(s.isr_to_shrink(1000, 30000).empty());
  EXPECT_EQ(s.isr_to_shrink(40000, 30000), std::vector<NodeId>{kF1});
  s.on_follower_fetch(kF1, Offset(10), Offset(10), 40000);
  EXPECT_TRUE(s.isr_to_shrink(40001, 30000).empty());
  EXPECT_TRUE(s.isr_to_expand().empty()) << "F2 has not caught up";
  s.on_follower_fetch(kF2, Offset(10), Offset(10), 40002);
  EXPECT_EQ(s.isr_to_expand(), std::vector<NodeId>{kF2});
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
