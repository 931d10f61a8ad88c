#include "controller/metadata/state_machine.h"

#include <gtest/gtest.h>

#include "tests/controller/metadata/image_fixture.h"

namespace ferry::controller::metadata::test {
namespace {

class StateMachineTest : public ImageFixture {};

TEST_F(StateMachineTest, register_broker_adds_the_broker_with_its_epoch_and_fenced_state) {
  add_broker(1, /*fenced=*/true, "rack-a");
  const BrokerRegistration* b = image().broker(NodeId(1));
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->epoch, BrokerEpoch(1));
  EXPECT_TRUE(b->fenced);
  EXPECT_EQ(b->rack, "rack-a");
  EXPECT_EQ(image().offset, LogIndex(1));
}

TEST_F(StateMachineTest, broker_change_with_a_stale_epoch_is_ignored) {
  add_broker(1, true);
  apply({make_broker_change(NodeId(1), BrokerEpoch(99), false, std::nullopt)});
  EXPECT_TRUE(image().broker(NodeId(1))->fenced);
  apply({make_broker_change(NodeId(1), BrokerEpoch(1), false, std::nullopt)});
  EXPECT_FALSE(image().broker(NodeId(1))->fenced);
}

TEST_F(StateMachineTest,
       partition_change_bumps_partition_epoch_always_and_leader_epoch_on_leader_change) {
  add_broker(1);
  add_broker(2);
  const Uuid id = create_assigned("t", {{1, 2}}).id;
  EXPECT_EQ(partition("t", 0).leader, NodeId(1));
  EXPECT_EQ(partition("t", 0).leader_epoch, LeaderEpoch(0));

  proto::MetadataRecord isr_only;
  isr_only.mutable_partition_change()->set_topic_id(uuid_to_bytes(id));
  append_node_ids(nodes({1}), isr_only.mutable_partition_change()->mutable_isr()->mutable_ids());
  apply({isr_only});
  EXPECT_EQ(partition("t", 0).isr, nodes({1}));
  EXPECT_EQ(partition("t", 0).leader_epoch, LeaderEpoch(0));
  EXPECT_EQ(partition("t", 0).partition_epoch, PartitionEpoch(1));

  proto::MetadataRecord new_leader;
  new_leader.mutable_partition_change()->set_topic_id(uuid_to_bytes(id));
  new_leader.mutable_partition_change()->set_leader(2);
  append_node_ids(nodes({2}), new_leader.mutable_partition_change()->mutable_isr()->mutable_ids());
  apply({new_leader});
  EXPECT_EQ(partition("t", 0).leader, NodeId(2));
  EXPECT_EQ(partition("t", 0).leader_epoch, LeaderEpoch(1));
  EXPECT_EQ(partition("t", 0).partition_epoch, PartitionEpoch(2));
}

TEST_F(StateMachineTest, remove_topic_drops_its_partitions_configs_and_name) {
  add_broker(1);
  const Uuid id = create_topic("gone", 3, 1).id;
  apply({make_config(2, "gone", "retention.ms", "1000")});
  EXPECT_EQ(image().topic("gone")->configs.at("retention.ms"), "1000");
  apply({make_remove_topic(id)});
  EXPECT_EQ(image().topic("gone"), nullptr);
  EXPECT_EQ(image().topic(id), nullptr);
  create_topic("gone", 1, 1);  // the name is free again, with no stale overrides
  EXPECT_TRUE(image().topic("gone")->configs.empty());
}

TEST_F(StateMachineTest, published_images_do_not_change_when_later_batches_apply) {
  add_broker(1);
  create_topic("t", 1, 1);
  const MetadataImagePtr before = builder_.publish();
  apply({make_config(2, "t", "retention.ms", "5")});
  const MetadataImagePtr after = builder_.publish();
  EXPECT_TRUE(before->topic("t")->configs.empty());
  EXPECT_EQ(after->topic("t")->configs.at("retention.ms"), "5");
  EXPECT_LT(before->offset, after->offset);
}

TEST_F(StateMachineTest, unchanged_topics_are_shared_between_published_images) {
  add_broker(1);
  create_topic("a", 1, 1);
  create_topic("b", 1, 1);
  const MetadataImagePtr first = builder_.publish();
  apply({make_config(2, "a", "retention.ms", "5")});
  const MetadataImagePtr second = builder_.publish();
  const Uuid a = first->topic_ids.at("a");
  const Uuid b = first->topic_ids.at("b");
  EXPECT_EQ(first->topics.at(b).get(), second->topics.at(b).get());
  EXPECT_NE(first->topics.at(a).get(), second->topics.at(a).get());
}

TEST_F(StateMachineTest, records_that_contradict_the_image_are_errors) {
  add_broker(1);
  create_topic("t", 1, 1);
  Status dup = builder_.apply(next_offset(), Records{make_topic(Uuid::random(random_), "t")});
  EXPECT_EQ(dup.code(), ErrorCode::CORRUPT_MESSAGE);
  MetadataBuilder fresh;
  Status unknown = fresh.apply(LogIndex(1), Records{make_remove_topic(Uuid::random(random_))});
  EXPECT_EQ(unknown.code(), ErrorCode::CORRUPT_MESSAGE);
  Status gap = fresh.apply(LogIndex(2), Records{make_config(2, "nope", "retention.ms", "1")});
  EXPECT_EQ(gap.code(), ErrorCode::CORRUPT_MESSAGE);
}

TEST_F(StateMachineTest, the_first_cluster_id_wins) {
  apply({make_cluster_id("first")});
  apply({make_cluster_id("second")});
  EXPECT_EQ(image().cluster_id, "first");
}

TEST_F(StateMachineTest, producer_ids_only_move_forward) {
  add_broker(1);
  apply({make_producer_ids(NodeId(1), BrokerEpoch(1), 1000)});
  EXPECT_EQ(image().next_producer_id, 1000);
  Status back =
      builder_.apply(next_offset(), Records{make_producer_ids(NodeId(1), BrokerEpoch(1), 10)});
  EXPECT_FALSE(back.ok());
}

TEST_F(StateMachineTest, a_snapshot_rebuilds_an_equal_image) {
  add_broker(1, false, "r1");
  add_broker(2, true);
  add_broker(3);
  create_topic("a", 4, 2);
  create_assigned("b", {{2, 1}});
  apply({make_config(2, "a", "cleanup.policy", "compact")});
  apply({make_config(4, "", "log.retention.ms", "99")});
  apply({make_config(4, "2", "log.retention.ms", "7")});
  apply({make_cluster_id("cid")});
  apply({make_producer_ids(NodeId(1), BrokerEpoch(1), 2000)});

  auto rebuilt = image_from_snapshot(make_snapshot(image()));
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().to_string();
  EXPECT_EQ(rebuilt->offset, image().offset);
  EXPECT_EQ(rebuilt->cluster_id, "cid");
  EXPECT_EQ(rebuilt->brokers, image().brokers);
  EXPECT_EQ(rebuilt->topic_ids, image().topic_ids);
  EXPECT_EQ(rebuilt->cluster_configs, image().cluster_configs);
  EXPECT_EQ(rebuilt->broker_configs, image().broker_configs);
  EXPECT_EQ(rebuilt->next_producer_id, 2000);
  for (const auto& [id, topic] : image().topics)
    EXPECT_EQ(*rebuilt->topics.at(id), *topic);
}

TEST_F(StateMachineTest, take_changes_names_every_touched_entity_once) {
  add_broker(1);
  const Uuid id = create_topic("t", 2, 1).id;
  auto changes = builder_.take_changes();
  EXPECT_EQ(changes.brokers, std::set<NodeId>{NodeId(1)});
  EXPECT_EQ(changes.topics, std::set<Uuid>{id});
  EXPECT_TRUE(builder_.take_changes().empty());
  apply({make_remove_topic(id)});
  EXPECT_EQ(builder_.take_changes().topics, std::set<Uuid>{id});
}

TEST_F(StateMachineTest, a_batch_that_does_not_parse_is_corrupt_message) {
  const Bytes garbage = {0xff, 0xff, 0xff};
  EXPECT_EQ(decode_batch(garbage).code(), ErrorCode::CORRUPT_MESSAGE);
  const Bytes encoded = encode_batch({make_cluster_id("x")});
  auto decoded = decode_batch(encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->records(0).cluster_id().cluster_id(), "x");
}

}  // namespace
}  // namespace ferry::controller::metadata::test
