#include <gtest/gtest.h>

#include "tests/controller/metadata/image_fixture.h"

namespace ferry::controller::metadata::test {
namespace {

using controller::CreatePartitionsSpec;
using controller::CreateTopicSpec;
using controller::DeleteTopicSpec;

class TopicCommandsTest : public ImageFixture {
 protected:
  controller::CreateTopicResult create(CreateTopicSpec spec, bool validate_only = false) {
    auto planned = plan_create_topics(image(), {spec}, validate_only, config_, random_);
    if (!planned.records.empty()) apply(planned.records);
    return planned.reply.at(0);
  }
  static CreateTopicSpec spec(std::string name, int32_t partitions, int16_t rf) {
    CreateTopicSpec s;
    s.name = std::move(name);
    s.num_partitions = partitions;
    s.replication_factor = rf;
    return s;
  }
  controller::CreatePartitionsResult add_partitions(std::string name, int32_t count) {
    CreatePartitionsSpec s;
    s.name = std::move(name);
    s.count = count;
    auto planned = plan_create_partitions(image(), {s}, false, config_, random_);
    if (!planned.records.empty()) apply(planned.records);
    return planned.reply.at(0);
  }
};

TEST_F(TopicCommandsTest, new_partitions_are_led_by_their_first_replica_with_all_replicas_in_sync) {
  for (int id = 1; id <= 3; ++id)
    add_broker(id);
  auto result = create(spec("orders", 6, 3));
  ASSERT_EQ(result.error, ErrorCode::NONE) << result.message;
  EXPECT_FALSE(result.topic_id.is_zero());
  EXPECT_EQ(result.num_partitions, 6);
  EXPECT_EQ(result.replication_factor, 3);
  const TopicImage* topic = image().topic("orders");
  ASSERT_NE(topic, nullptr);
  EXPECT_EQ(topic->id, result.topic_id);
  ASSERT_EQ(topic->partitions.size(), 6u);
  for (const auto& p : topic->partitions) {
    EXPECT_EQ(p.leader, p.replicas.front());
    EXPECT_EQ(p.isr, p.replicas);
    EXPECT_EQ(p.leader_epoch, LeaderEpoch(0));
    EXPECT_EQ(p.partition_epoch, PartitionEpoch(0));
  }
}

TEST_F(TopicCommandsTest, a_single_unfenced_broker_can_create_a_topic_with_the_defaults) {
  add_broker(1);
  auto result = create(spec("t", -1, -1));
  ASSERT_EQ(result.error, ErrorCode::NONE) << result.message;
  EXPECT_EQ(partition("t", 0).replicas, nodes({1}));
}

TEST_F(TopicCommandsTest, an_existing_topic_is_topic_already_exists) {
  add_broker(1);
  create(spec("t", 1, 1));
  auto again = create(spec("t", 1, 1));
  EXPECT_EQ(again.error, ErrorCode::TOPIC_ALREADY_EXISTS);
  EXPECT_EQ(again.message, "Topic 't' already exists.");
}

TEST_F(TopicCommandsTest, names_that_differ_only_in_dot_and_underscore_collide) {
  add_broker(1);
  create(spec("a.b", 1, 1));
  auto result = create(spec("a_b", 1, 1));
  EXPECT_EQ(result.error, ErrorCode::INVALID_TOPIC_EXCEPTION);
  EXPECT_EQ(result.message, "Topic 'a_b' collides with existing topic: a.b");
}

TEST_F(TopicCommandsTest, collisions_are_found_among_many_topics_with_common_prefixes) {
  add_broker(1);
  for (const char* name : {"app", "app-x", "app.a_b", "app_c", "apq.a", "ap"})
    create(spec(name, 1, 1));
  EXPECT_EQ(create(spec("app_a.b", 1, 1)).message,
            "Topic 'app_a.b' collides with existing topic: app.a_b");
  EXPECT_EQ(create(spec("app.c", 1, 1)).message,
            "Topic 'app.c' collides with existing topic: app_c");
  EXPECT_EQ(create(spec("app.a_bb", 1, 1)).error, ErrorCode::NONE);
  EXPECT_EQ(create(spec("apq_b", 1, 1)).error, ErrorCode::NONE);
}

TEST_F(TopicCommandsTest, topics_of_one_request_see_each_other) {
  add_broker(1);
  auto planned = plan_create_topics(
      image(), {spec("x.y", 1, 1), spec("x_y", 1, 1), spec("dup", 1, 1), spec("dup", 1, 1)}, false,
      config_, random_);
  EXPECT_EQ(planned.reply[0].error, ErrorCode::NONE);
  EXPECT_EQ(planned.reply[1].error, ErrorCode::INVALID_TOPIC_EXCEPTION);
  EXPECT_EQ(planned.reply[2].error, ErrorCode::INVALID_REQUEST);
  EXPECT_EQ(planned.reply[2].message, "Duplicate topic name.");
  EXPECT_EQ(planned.reply[3].error, ErrorCode::INVALID_REQUEST);
  apply(planned.records);
  EXPECT_NE(image().topic("x.y"), nullptr);
  EXPECT_EQ(image().topic("dup"), nullptr);
}

TEST_F(TopicCommandsTest, too_few_brokers_is_invalid_replication_factor_with_kafkas_message) {
  add_broker(1);
  add_broker(2);
  auto result = create(spec("t", 3, 3));
  EXPECT_EQ(result.error, ErrorCode::INVALID_REPLICATION_FACTOR);
  EXPECT_EQ(result.message,
            "Unable to replicate the partition 3 time(s): The target replication factor of 3 "
            "cannot be reached because only 2 broker(s) are registered.");
  EXPECT_EQ(image().topic("t"), nullptr);
}

TEST_F(TopicCommandsTest, non_positive_counts_are_refused) {
  add_broker(1);
  auto zero_partitions = create(spec("t", 0, 1));
  EXPECT_EQ(zero_partitions.error, ErrorCode::INVALID_PARTITIONS);
  EXPECT_EQ(zero_partitions.message,
            "Number of partitions was set to an invalid non-positive value.");
  auto zero_rf = create(spec("t", 1, 0));
  EXPECT_EQ(zero_rf.error, ErrorCode::INVALID_REPLICATION_FACTOR);
  EXPECT_EQ(zero_rf.message,
            "Replication factor must be larger than 0, or -1 to use the default value.");
}

TEST_F(TopicCommandsTest, illegal_and_reserved_names_are_refused) {
  add_broker(1);
  EXPECT_EQ(create(spec("bad name", 1, 1)).error, ErrorCode::INVALID_TOPIC_EXCEPTION);
  auto meta = create(spec("__cluster_metadata", 1, 1));
  EXPECT_EQ(meta.error, ErrorCode::INVALID_REQUEST);
  EXPECT_EQ(meta.message, "Creation of internal topic __cluster_metadata is prohibited.");
  auto offsets = create(spec("__consumer_offsets", 1, 1));
  EXPECT_EQ(offsets.error, ErrorCode::INVALID_REQUEST);
  EXPECT_EQ(offsets.message, "Creation of internal topic __consumer_offsets is prohibited.");
  EXPECT_EQ(create(spec("__transaction_state", 1, 1)).error, ErrorCode::INVALID_REQUEST);
  EXPECT_EQ(create(spec("__mine", 1, 1)).error, ErrorCode::NONE) << "only the internal names";
}

TEST_F(TopicCommandsTest, the_broker_may_create_its_internal_topics) {
  add_broker(1);
  auto s = spec("__consumer_offsets", 1, 1);
  s.internal = true;
  EXPECT_EQ(create(s).error, ErrorCode::NONE);
}

TEST_F(TopicCommandsTest, configs_are_validated_and_stored_as_overrides) {
  add_broker(1);
  auto s = spec("t", 1, 1);
  s.configs = {{"retention.ms", "1000"}, {"cleanup.policy", "compact"}};
  auto ok = create(s);
  ASSERT_EQ(ok.error, ErrorCode::NONE) << ok.message;
  EXPECT_EQ(ok.configs.at("retention.ms"), "1000");
  EXPECT_EQ(image().topic("t")->configs.at("cleanup.policy"), "compact");

  auto bad = spec("u", 1, 1);
  bad.configs = {{"retention.ms", "soon"}};
  EXPECT_EQ(create(bad).error, ErrorCode::INVALID_CONFIG);
  auto unknown = spec("u", 1, 1);
  unknown.configs = {{"retention.msx", "1"}};
  EXPECT_EQ(create(unknown).error, ErrorCode::INVALID_CONFIG);
  auto null = spec("u", 1, 1);
  null.configs = {{"retention.ms", std::nullopt}};
  auto null_result = create(null);
  EXPECT_EQ(null_result.error, ErrorCode::INVALID_CONFIG);
  EXPECT_EQ(null_result.message, "Null value not supported for topic configs: retention.ms");
}

TEST_F(TopicCommandsTest, manual_assignments_are_validated_with_kafkas_messages) {
  add_broker(1);
  add_broker(2);
  CreateTopicSpec s;
  s.name = "m";
  s.assignments = {{0, nodes({1, 3})}};
  EXPECT_EQ(create(s).message,
            "The manual partition assignment includes broker 3, but no such broker is "
            "registered.");
  s.assignments = {{0, nodes({1, 1})}};
  EXPECT_EQ(create(s).message,
            "The manual partition assignment includes the broker 1 more than once.");
  s.assignments = {{0, nodes({1, 2})}, {1, nodes({1})}};
  EXPECT_EQ(create(s).error, ErrorCode::INVALID_REPLICA_ASSIGNMENT);
  s.assignments = {{0, nodes({1})}, {2, nodes({2})}};
  EXPECT_EQ(create(s).message, "partitions should be a consecutive 0-based integer sequence");
  s.assignments = {{0, nodes({1})}};
  s.num_partitions = 1;
  EXPECT_EQ(create(s).error, ErrorCode::INVALID_REQUEST);
}

TEST_F(TopicCommandsTest, manual_assignments_leave_fenced_replicas_out_of_the_isr) {
  add_broker(1, /*fenced=*/true);
  add_broker(2);
  CreateTopicSpec s;
  s.name = "m";
  s.assignments = {{0, nodes({1, 2})}};
  ASSERT_EQ(create(s).error, ErrorCode::NONE);
  EXPECT_EQ(partition("m", 0).replicas, nodes({1, 2}));
  EXPECT_EQ(partition("m", 0).isr, nodes({2}));
  EXPECT_EQ(partition("m", 0).leader, NodeId(2));
  s.name = "n";
  s.assignments = {{0, nodes({1})}};
  EXPECT_EQ(create(s).message,
            "All brokers specified in the manual partition assignment for partition 0 are fenced "
            "or in controlled shutdown.");
}

TEST_F(TopicCommandsTest, validate_only_answers_without_records) {
  add_broker(1);
  auto planned = plan_create_topics(image(), {spec("t", 2, 1)}, true, config_, random_);
  EXPECT_EQ(planned.reply[0].error, ErrorCode::NONE);
  EXPECT_EQ(planned.reply[0].num_partitions, 2);
  EXPECT_TRUE(planned.records.empty());
}

TEST_F(TopicCommandsTest, delete_by_name_and_by_id_and_unknown_topics) {
  add_broker(1);
  const Uuid a = create_topic("a", 1, 1).id;
  create_topic("b", 1, 1);
  DeleteTopicSpec by_id;
  by_id.id = a;
  DeleteTopicSpec by_name;
  by_name.name = "b";
  DeleteTopicSpec missing_name;
  missing_name.name = "nope";
  DeleteTopicSpec missing_id;
  missing_id.id = Uuid::random(random_);
  auto planned = plan_delete_topics(image(), {by_id, by_name, missing_name, missing_id}, config_);
  EXPECT_EQ(planned.reply[0].error, ErrorCode::NONE);
  EXPECT_EQ(planned.reply[0].name, "a");
  EXPECT_EQ(planned.reply[1].error, ErrorCode::NONE);
  EXPECT_EQ(planned.reply[2].error, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
  EXPECT_EQ(planned.reply[3].error, ErrorCode::UNKNOWN_TOPIC_ID);
  apply(planned.records);
  EXPECT_TRUE(image().topics.empty());
}

TEST_F(TopicCommandsTest, deletion_can_be_disabled) {
  add_broker(1);
  create_topic("a", 1, 1);
  config_.delete_topic_enable = false;
  DeleteTopicSpec s;
  s.name = "a";
  auto planned = plan_delete_topics(image(), {s}, config_);
  EXPECT_EQ(planned.reply[0].error, ErrorCode::TOPIC_DELETION_DISABLED);
  EXPECT_TRUE(planned.records.empty());
}

TEST_F(TopicCommandsTest, adding_partitions_places_only_the_new_ones) {
  for (int id = 1; id <= 3; ++id)
    add_broker(id);
  create_topic("t", 3, 2);
  const auto before = image().topic("t")->partitions;
  auto result = add_partitions("t", 5);
  ASSERT_EQ(result.error, ErrorCode::NONE) << result.message;
  const auto& after = image().topic("t")->partitions;
  ASSERT_EQ(after.size(), 5u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(after[i], before[i]);
  EXPECT_EQ(after[4].replicas.size(), 2u);
}

TEST_F(TopicCommandsTest, shrinking_or_keeping_the_partition_count_is_invalid_partitions) {
  add_broker(1);
  create_topic("t", 3, 1);
  auto lower = add_partitions("t", 2);
  EXPECT_EQ(lower.error, ErrorCode::INVALID_PARTITIONS);
  EXPECT_EQ(lower.message,
            "Topic currently has 3 partitions, which is higher than the requested 2.");
  EXPECT_EQ(add_partitions("t", 3).message, "Topic already has 3 partition(s).");
  EXPECT_EQ(add_partitions("nope", 3).error, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
}

TEST_F(TopicCommandsTest, added_partition_assignments_must_match_count_and_replication_factor) {
  add_broker(1);
  add_broker(2);
  create_topic("t", 1, 2);
  CreatePartitionsSpec s;
  s.name = "t";
  s.count = 3;
  s.assignments = std::vector<std::vector<NodeId>>{nodes({1, 2})};
  auto planned = plan_create_partitions(image(), {s}, false, config_, random_);
  EXPECT_EQ(planned.reply[0].message,
            "Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.");
  s.assignments = std::vector<std::vector<NodeId>>{nodes({1, 2}), nodes({1})};
  planned = plan_create_partitions(image(), {s}, false, config_, random_);
  EXPECT_EQ(planned.reply[0].error, ErrorCode::INVALID_REPLICA_ASSIGNMENT);
  s.assignments = std::vector<std::vector<NodeId>>{nodes({1, 2}), nodes({2, 1})};
  planned = plan_create_partitions(image(), {s}, false, config_, random_);
  ASSERT_EQ(planned.reply[0].error, ErrorCode::NONE);
  apply(planned.records);
  EXPECT_EQ(partition("t", 2).leader, NodeId(2));
}

}  // namespace
}  // namespace ferry::controller::metadata::test
