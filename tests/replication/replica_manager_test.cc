#include "replication/replica_manager.h"

#include <gtest/gtest.h>

namespace ferry::replication {
namespace {

config::BrokerConfig broker_config(std::map<std::string, std::string> values = {}) {
  auto c = config::BrokerConfig::from_map(values);
  EXPECT_TRUE(c.ok());
  return *c;
}

TEST(ReplicaManager, topic_overrides_win_over_broker_defaults_in_the_storage_config) {
  const auto broker = broker_config({{"log.segment.bytes", "1048576"}});
  auto c = ReplicaManager::log_config_for(broker, {{"retention.ms", "1000"}});
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->segment_bytes, 1048576);
  EXPECT_EQ(c->retention_ms, 1000);
  EXPECT_EQ(c->message_timestamp_type, storage::TimestampType::kCreateTime);
  auto lat = ReplicaManager::log_config_for(broker, {{"message.timestamp.type", "LogAppendTime"}});
  ASSERT_TRUE(lat.ok());
  EXPECT_EQ(lat->message_timestamp_type, storage::TimestampType::kLogAppendTime);
}

TEST(ReplicaManager, compact_only_topics_are_never_deleted_by_retention) {
  const auto broker = broker_config();
  auto compact = ReplicaManager::log_config_for(
      broker, {{"cleanup.policy", "compact"}, {"retention.ms", "1000"}, {"retention.bytes", "10"}});
  ASSERT_TRUE(compact.ok());
  EXPECT_EQ(compact->retention_ms, -1);
  EXPECT_EQ(compact->retention_bytes, -1);
  auto both = ReplicaManager::log_config_for(
      broker, {{"cleanup.policy", "compact,delete"}, {"retention.ms", "1000"}});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->retention_ms, 1000) << "compact,delete still deletes by retention";
}

}  // namespace
}  // namespace ferry::replication
