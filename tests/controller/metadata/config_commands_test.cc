#include <gtest/gtest.h>

#include "tests/controller/metadata/image_fixture.h"

namespace ferry::controller::metadata::test {
namespace {

using controller::AlterConfigsSpec;
using controller::ConfigOp;
using controller::ConfigResourceType;

class ConfigCommandsTest : public ImageFixture {
 protected:
  void SetUp() override {
    add_broker(1);
    create_topic("t", 1, 1);
  }
  controller::AlterConfigsResult alter(AlterConfigsSpec spec) {
    auto planned = plan_alter_configs(image(), {spec}, false);
    if (!planned.records.empty()) apply(planned.records);
    return planned.reply.at(0);
  }
  static AlterConfigsSpec topic_change(std::string key, ConfigOp op,
                                       std::optional<std::string> value) {
    AlterConfigsSpec s;
    s.type = ConfigResourceType::kTopic;
    s.name = "t";
    s.changes.push_back({std::move(key), op, std::move(value)});
    return s;
  }
  const std::map<std::string, std::string>& topic_configs() { return image().topic("t")->configs; }
};

TEST_F(ConfigCommandsTest, set_and_delete_change_the_topic_overrides) {
  ASSERT_EQ(alter(topic_change("retention.ms", ConfigOp::kSet, "100")).error, ErrorCode::NONE);
  EXPECT_EQ(topic_configs().at("retention.ms"), "100");
  ASSERT_EQ(alter(topic_change("retention.ms", ConfigOp::kDelete, std::nullopt)).error,
            ErrorCode::NONE);
  EXPECT_FALSE(topic_configs().contains("retention.ms"));
}

TEST_F(ConfigCommandsTest, append_and_subtract_work_on_list_keys_starting_from_the_default) {
  ASSERT_EQ(alter(topic_change("cleanup.policy", ConfigOp::kAppend, "compact")).error,
            ErrorCode::NONE);
  EXPECT_EQ(topic_configs().at("cleanup.policy"), "delete,compact");
  ASSERT_EQ(alter(topic_change("cleanup.policy", ConfigOp::kSubtract, "delete")).error,
            ErrorCode::NONE);
  EXPECT_EQ(topic_configs().at("cleanup.policy"), "compact");
}

TEST_F(ConfigCommandsTest, append_to_a_non_list_key_is_invalid_config) {
  auto r = alter(topic_change("retention.ms", ConfigOp::kAppend, "5"));
  EXPECT_EQ(r.error, ErrorCode::INVALID_CONFIG);
  EXPECT_EQ(r.message, "Can't APPEND to key retention.ms because its type is not LIST.");
}

TEST_F(ConfigCommandsTest, bad_values_unknown_keys_and_unknown_topics_are_refused) {
  EXPECT_EQ(alter(topic_change("retention.ms", ConfigOp::kSet, "x")).error,
            ErrorCode::INVALID_CONFIG);
  EXPECT_EQ(alter(topic_change("no.such.key", ConfigOp::kSet, "1")).error,
            ErrorCode::INVALID_CONFIG);
  auto missing = topic_change("retention.ms", ConfigOp::kSet, "1");
  missing.name = "missing";
  EXPECT_EQ(alter(missing).error, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
  EXPECT_TRUE(topic_configs().empty());
}

TEST_F(ConfigCommandsTest, non_incremental_alter_replaces_all_overrides) {
  alter(topic_change("retention.ms", ConfigOp::kSet, "100"));
  AlterConfigsSpec s = topic_change("segment.bytes", ConfigOp::kSet, "1048576");
  s.incremental = false;
  ASSERT_EQ(alter(s).error, ErrorCode::NONE);
  EXPECT_EQ(topic_configs(), (std::map<std::string, std::string>{{"segment.bytes", "1048576"}}));
}

TEST_F(ConfigCommandsTest, cluster_and_broker_defaults_accept_only_dynamic_keys) {
  AlterConfigsSpec cluster;
  cluster.type = ConfigResourceType::kBroker;
  cluster.name = "";
  cluster.changes.push_back({"log.retention.ms", ConfigOp::kSet, "5000"});
  ASSERT_EQ(alter(cluster).error, ErrorCode::NONE);
  EXPECT_EQ(image().cluster_configs.at("log.retention.ms"), "5000");

  AlterConfigsSpec broker = cluster;
  broker.name = "1";
  ASSERT_EQ(alter(broker).error, ErrorCode::NONE);
  EXPECT_EQ(image().broker_configs.at(NodeId(1)).at("log.retention.ms"), "5000");

  AlterConfigsSpec static_key = cluster;
  static_key.changes = {{"node.id", ConfigOp::kSet, "3"}};
  auto r = alter(static_key);
  EXPECT_EQ(r.error, ErrorCode::INVALID_REQUEST);
  EXPECT_EQ(r.message, "Cannot update these configs dynamically: node.id");

  AlterConfigsSpec bad_name = cluster;
  bad_name.name = "one";
  EXPECT_EQ(alter(bad_name).error, ErrorCode::INVALID_REQUEST);
}

TEST_F(ConfigCommandsTest, validate_only_and_unchanged_values_produce_no_records) {
  auto planned =
      plan_alter_configs(image(), {topic_change("retention.ms", ConfigOp::kSet, "1")}, true);
  EXPECT_EQ(planned.reply[0].error, ErrorCode::NONE);
  EXPECT_TRUE(planned.records.empty());
  alter(topic_change("retention.ms", ConfigOp::kSet, "1"));
  planned = plan_alter_configs(image(), {topic_change("retention.ms", ConfigOp::kSet, "1")}, false);
  EXPECT_TRUE(planned.records.empty());
}

}  // namespace
}  // namespace ferry::controller::metadata::test
