#include <gtest/gtest.h>

#include "controller/metadata/partition_change.h"
#include "tests/controller/metadata/image_fixture.h"

namespace ferry::controller::metadata::test {
namespace {

using controller::AlterPartitionRequest;
using controller::BrokerHeartbeatRequest;
using controller::BrokerRegistrationRequest;

class BrokerCommandsTest : public ImageFixture {
 protected:
  BrokerRegistrationRequest registration(int32_t id) {
    BrokerRegistrationRequest r;
    r.broker_id = NodeId(id);
    r.incarnation_id = Uuid::random(random_);
    r.endpoints = {Endpoint{"PLAINTEXT", "127.0.0.1", 9000 + id}};
    return r;
  }
  controller::BrokerRegistrationReply register_broker(const BrokerRegistrationRequest& r) {
    auto planned = plan_register_broker(image(), r, next_offset(), config_, sessions_, now_ms_);
    if (!planned.records.empty()) apply(planned.records);
    return planned.reply;
  }
  controller::BrokerHeartbeatReply heartbeat(int32_t id, bool want_fence = false,
                                             bool want_shutdown = false) {
    BrokerHeartbeatRequest r;
    r.broker_id = NodeId(id);
    r.broker_epoch = image().broker(NodeId(id))->epoch;
    r.current_metadata_offset = image().offset;
    r.want_fence = want_fence;
    r.want_shutdown = want_shutdown;
    auto planned = plan_broker_heartbeat(image(), r, config_, sessions_, now_ms_);
    if (!planned.records.empty()) apply(planned.records);
    return planned.reply;
  }
  // Registers and unfences brokers 1..n through the real commands.
  void start_brokers(int n) {
    for (int id = 1; id <= n; ++id) {
      ASSERT_EQ(register_broker(registration(id)).error, ErrorCode::NONE);
      ASSERT_FALSE(heartbeat(id).is_fenced);
    }
  }
  void fence(int32_t id) { apply(plan_fence_broker(image(), NodeId(id), config_)); }

  BrokerSessions sessions_{9000};
  int64_t now_ms_ = 1000;
};

TEST_F(BrokerCommandsTest, registration_starts_fenced_with_the_record_offset_as_epoch) {
  const LogIndex expected = next_offset();
  auto reply = register_broker(registration(1));
  ASSERT_EQ(reply.error, ErrorCode::NONE);
  EXPECT_EQ(reply.broker_epoch, BrokerEpoch(expected.value()));
  EXPECT_TRUE(image().broker(NodeId(1))->fenced);
  EXPECT_EQ(image().broker(NodeId(1))->epoch, reply.broker_epoch);
}

TEST_F(BrokerCommandsTest, repeating_a_registration_of_the_same_incarnation_keeps_the_epoch) {
  auto r = registration(1);
  auto first = register_broker(r);
  auto planned = plan_register_broker(image(), r, next_offset(), config_, sessions_, now_ms_);
  EXPECT_TRUE(planned.records.empty());
  EXPECT_EQ(planned.reply.broker_epoch, first.broker_epoch);
}

TEST_F(BrokerCommandsTest, another_incarnation_is_refused_while_the_session_is_valid) {
  start_brokers(1);
  auto dup = register_broker(registration(1));
  EXPECT_EQ(dup.error, ErrorCode::DUPLICATE_BROKER_REGISTRATION);
  EXPECT_EQ(dup.message, "Another broker is registered with that broker id.");
  now_ms_ += 9001;  // the old incarnation's session expires
  auto again = register_broker(registration(1));
  ASSERT_EQ(again.error, ErrorCode::NONE);
  EXPECT_GT(again.broker_epoch, BrokerEpoch(1));
  EXPECT_TRUE(image().broker(NodeId(1))->fenced);
}

TEST_F(BrokerCommandsTest, re_registration_moves_the_old_incarnations_leaderships_away) {
  start_brokers(2);
  create_assigned("t", {{1, 2}});
  now_ms_ += 9001;
  sessions_.touch(NodeId(2), now_ms_);
  ASSERT_EQ(register_broker(registration(1)).error, ErrorCode::NONE);
  EXPECT_EQ(partition("t", 0).leader, NodeId(2));
  EXPECT_EQ(partition("t", 0).isr, nodes({2}));
  EXPECT_EQ(partition("t", 0).leader_epoch, LeaderEpoch(1));
}

TEST_F(BrokerCommandsTest, a_heartbeat_unfences_only_once_the_broker_caught_up) {
  auto reply = register_broker(registration(1));
  BrokerHeartbeatRequest behind;
  behind.broker_id = NodeId(1);
  behind.broker_epoch = reply.broker_epoch;
  behind.current_metadata_offset = LogIndex(reply.broker_epoch.value() - 1);
  auto planned = plan_broker_heartbeat(image(), behind, config_, sessions_, now_ms_);
  EXPECT_FALSE(planned.reply.is_caught_up);
  EXPECT_TRUE(planned.reply.is_fenced);
  EXPECT_TRUE(planned.records.empty());
  auto caught_up = heartbeat(1);
  EXPECT_TRUE(caught_up.is_caught_up);
  EXPECT_FALSE(caught_up.is_fenced);
  EXPECT_FALSE(image().broker(NodeId(1))->fenced);
}

TEST_F(BrokerCommandsTest, heartbeats_with_a_wrong_epoch_or_unknown_broker_are_refused) {
  start_brokers(1);
  BrokerHeartbeatRequest r;
  r.broker_id = NodeId(1);
  r.broker_epoch = BrokerEpoch(12345);
  EXPECT_EQ(plan_broker_heartbeat(image(), r, config_, sessions_, now_ms_).reply.error,
            ErrorCode::STALE_BROKER_EPOCH);
  r.broker_id = NodeId(7);
  EXPECT_EQ(plan_broker_heartbeat(image(), r, config_, sessions_, now_ms_).reply.error,
            ErrorCode::BROKER_ID_NOT_REGISTERED);
}

TEST_F(BrokerCommandsTest, expired_sessions_are_found_and_fencing_moves_leadership_within_the_isr) {
  start_brokers(3);
  create_assigned("t", {{1, 2, 3}, {2, 1, 3}});
  now_ms_ += 5000;
  sessions_.touch(NodeId(2), now_ms_);
  sessions_.touch(NodeId(3), now_ms_);
  EXPECT_EQ(sessions_.first_expired(image(), now_ms_), std::nullopt);
  now_ms_ += 4500;  // broker 1 last heard 9500 ms ago
  ASSERT_EQ(sessions_.first_expired(image(), now_ms_), NodeId(1));
  fence(1);
  EXPECT_TRUE(image().broker(NodeId(1))->fenced);
  EXPECT_EQ(partition("t", 0).leader, NodeId(2));
  EXPECT_EQ(partition("t", 0).leader_epoch, LeaderEpoch(1));
  EXPECT_EQ(partition("t", 0).isr, nodes({2, 3}));
  EXPECT_EQ(partition("t", 1).leader, NodeId(2));  // unchanged leader, smaller ISR
  EXPECT_EQ(partition("t", 1).leader_epoch, LeaderEpoch(0));
  EXPECT_EQ(partition("t", 1).isr, nodes({2, 3}));
  EXPECT_EQ(sessions_.first_expired(image(), now_ms_), std::nullopt);  // fenced: not again
}

TEST_F(BrokerCommandsTest, quiet_brokers_are_listed_and_a_proven_gone_one_expires_at_once) {
  start_brokers(3);
  now_ms_ += 400;
  sessions_.touch(NodeId(2), now_ms_);
  sessions_.touch(NodeId(3), now_ms_ - 100);
  EXPECT_EQ(sessions_.quiet(image(), now_ms_, 300), nodes({1}));
  EXPECT_EQ(sessions_.quiet(image(), now_ms_, 100), nodes({1, 3}));

  // A probe of broker 3 started before its last heartbeat proves nothing.
  sessions_.mark_gone(NodeId(3), now_ms_ - 100);
  EXPECT_FALSE(sessions_.proven_gone(NodeId(3)));
  EXPECT_TRUE(sessions_.has_valid_session(NodeId(3), now_ms_));

  sessions_.mark_gone(NodeId(1), now_ms_);
  EXPECT_TRUE(sessions_.proven_gone(NodeId(1)));
  EXPECT_FALSE(sessions_.has_valid_session(NodeId(1), now_ms_));  // 400 ms < the 9 s session
  EXPECT_EQ(sessions_.quiet(image(), now_ms_, 100), nodes({3}));  // not probed again
  ASSERT_EQ(sessions_.first_expired(image(), now_ms_), NodeId(1));

  // A new incarnation may register at once, and a heartbeat clears the verdict.
  ASSERT_EQ(register_broker(registration(1)).error, ErrorCode::NONE);
  EXPECT_FALSE(sessions_.proven_gone(NodeId(1)));
  EXPECT_TRUE(sessions_.has_valid_session(NodeId(1), now_ms_));
}

TEST_F(BrokerCommandsTest, the_last_isr_member_stays_and_the_partition_waits_without_leader) {
  start_brokers(2);
  create_assigned("t", {{1, 2}});
  fence(2);
  EXPECT_EQ(partition("t", 0).isr, nodes({1}));
  fence(1);
  EXPECT_EQ(partition("t", 0).leader, kNoNode);
  EXPECT_EQ(partition("t", 0).isr, nodes({1}));  // not elected from outside the ISR
  // Broker 2 comes back first: it is not in the ISR, so the partition stays leaderless.
  ASSERT_FALSE(heartbeat(2).is_fenced);
  EXPECT_EQ(partition("t", 0).leader, kNoNode);
  // Broker 1, the ISR member, comes back and is elected.
  ASSERT_FALSE(heartbeat(1).is_fenced);
  EXPECT_EQ(partition("t", 0).leader, NodeId(1));
  EXPECT_EQ(partition("t", 0).leader_epoch, LeaderEpoch(2));
}

TEST_F(BrokerCommandsTest, unclean_election_picks_a_live_replica_only_when_the_topic_allows_it) {
  start_brokers(2);
  create_assigned("t", {{1, 2}});
  apply({make_config(2, "t", "unclean.leader.election.enable", "true")});
  fence(2);
  fence(1);
  EXPECT_EQ(partition("t", 0).leader, kNoNode);
  ASSERT_FALSE(heartbeat(2).is_fenced);
  EXPECT_EQ(partition("t", 0).leader, NodeId(2));
  EXPECT_EQ(partition("t", 0).isr, nodes({2}));
}

TEST_F(BrokerCommandsTest, controlled_shutdown_moves_leadership_and_fences) {
  start_brokers(2);
  create_assigned("t", {{1, 2}});
  auto reply = heartbeat(1, false, /*want_shutdown=*/true);
  EXPECT_TRUE(reply.should_shutdown);
  EXPECT_TRUE(image().broker(NodeId(1))->fenced);
  EXPECT_TRUE(image().broker(NodeId(1))->in_controlled_shutdown);
  EXPECT_EQ(partition("t", 0).leader, NodeId(2));
}

TEST_F(BrokerCommandsTest, want_fence_fences_an_unfenced_broker_and_keeps_it_fenced) {
  start_brokers(1);
  EXPECT_TRUE(heartbeat(1, /*want_fence=*/true).is_fenced);
  EXPECT_TRUE(image().broker(NodeId(1))->fenced);
  EXPECT_TRUE(heartbeat(1, /*want_fence=*/true).is_fenced);
  EXPECT_FALSE(heartbeat(1).is_fenced);
}

class AlterPartitionTest : public BrokerCommandsTest {
 protected:
  void SetUp() override {
    start_brokers(3);
    topic_id_ = create_assigned("t", {{1, 2, 3}}).id;
  }
  AlterPartitionRequest request(std::vector<NodeId> isr) {
    const auto& p = partition("t", 0);
    AlterPartitionRequest r;
    r.broker_id = p.leader;
    r.broker_epoch = image().broker(p.leader)->epoch;
    r.topic_id = topic_id_;
    r.partition = 0;
    r.leader_epoch = p.leader_epoch;
    r.partition_epoch = p.partition_epoch;
    r.new_isr = std::move(isr);
    return r;
  }
  controller::AlterPartitionReply alter(const AlterPartitionRequest& r) {
    auto planned = plan_alter_partition(image(), r);
    if (!planned.records.empty()) apply(planned.records);
    return planned.reply;
  }
  Uuid topic_id_;
};

TEST_F(AlterPartitionTest, a_shrink_from_the_leader_commits_with_a_new_partition_epoch) {
  auto reply = alter(request(nodes({1, 2})));
  ASSERT_EQ(reply.error, ErrorCode::NONE) << reply.message;
  EXPECT_EQ(reply.partition.isr, nodes({1, 2}));
  EXPECT_EQ(reply.partition.partition_epoch, PartitionEpoch(1));
  EXPECT_EQ(partition("t", 0), reply.partition);
}

TEST_F(AlterPartitionTest, stale_epochs_are_rejected) {
  auto stale = request(nodes({1, 2}));
  ASSERT_EQ(alter(stale).error, ErrorCode::NONE);
  auto again = stale;  // same partition epoch as before the first change
  again.new_isr = nodes({1});
  EXPECT_EQ(alter(again).error, ErrorCode::INVALID_UPDATE_VERSION);
  auto old_leader_epoch = request(nodes({1}));
  old_leader_epoch.leader_epoch = LeaderEpoch(-1);
  EXPECT_EQ(alter(old_leader_epoch).error, ErrorCode::FENCED_LEADER_EPOCH);
  auto future = request(nodes({1}));
  future.leader_epoch = LeaderEpoch(5);
  EXPECT_EQ(alter(future).error, ErrorCode::NOT_CONTROLLER);
  auto broker_epoch = request(nodes({1}));
  broker_epoch.broker_epoch = BrokerEpoch(-5);
  EXPECT_EQ(alter(broker_epoch).error, ErrorCode::STALE_BROKER_EPOCH);
}

TEST_F(AlterPartitionTest, only_the_leader_may_change_the_isr_and_it_must_stay_in_it) {
  auto not_leader = request(nodes({2, 3}));
  not_leader.broker_id = NodeId(2);
  not_leader.broker_epoch = image().broker(NodeId(2))->epoch;
  EXPECT_EQ(alter(not_leader).error, ErrorCode::INVALID_REQUEST);
  EXPECT_EQ(alter(request(nodes({2, 3}))).error, ErrorCode::INVALID_REQUEST);
  EXPECT_EQ(alter(request(nodes({1, 4}))).error, ErrorCode::INVALID_REQUEST);
  EXPECT_EQ(alter(request(nodes({1, 1}))).error, ErrorCode::INVALID_REQUEST);
}

TEST_F(AlterPartitionTest, a_fenced_replica_cannot_join_the_isr) {
  ASSERT_EQ(alter(request(nodes({1, 2}))).error, ErrorCode::NONE);
  fence(3);
  auto reply = alter(request(nodes({1, 2, 3})));
  EXPECT_EQ(reply.error, ErrorCode::INELIGIBLE_REPLICA);
  EXPECT_EQ(partition("t", 0).isr, nodes({1, 2}));
}

TEST_F(AlterPartitionTest, unknown_topics_and_partitions_are_reported) {
  auto r = request(nodes({1}));
  r.partition = 9;
  EXPECT_EQ(alter(r).error, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
  r.topic_id = Uuid::random(random_);
  EXPECT_EQ(alter(r).error, ErrorCode::UNKNOWN_TOPIC_ID);
}

TEST_F(BrokerCommandsTest, producer_id_blocks_do_not_overlap) {
  start_brokers(1);
  const BrokerEpoch epoch = image().broker(NodeId(1))->epoch;
  auto first = plan_allocate_producer_ids(image(), NodeId(1), epoch, config_);
  apply(first.records);
  auto second = plan_allocate_producer_ids(image(), NodeId(1), epoch, config_);
  EXPECT_EQ(second.reply.first_producer_id, first.reply.first_producer_id + first.reply.count);
  EXPECT_EQ(plan_allocate_producer_ids(image(), NodeId(1), BrokerEpoch(0), config_).reply.error,
            ErrorCode::STALE_BROKER_EPOCH);
}

}  // namespace
}  // namespace ferry::controller::metadata::test
