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

TEST(ReplicaManager, topic_cleanup_policy_and_compaction_settings_reach_the_log) {
  const auto broker = broker_config();
  auto compact = ReplicaManager::log_config_for(broker, {{"cleanup.policy", "compact"},
                                                         {"retention.ms", "1000"},
                                                         {"min.cleanable.dirty.ratio", "0.2"},
                                                         {"delete.retention.ms", "5"},
                                                         {"min.compaction.lag.ms", "7"},
                                                         {"max.compaction.lag.ms", "9"}});
  ASSERT_TRUE(compact.ok()) << compact.error().to_string();
  EXPECT_TRUE(compact->compact_policy);
  EXPECT_FALSE(compact->delete_policy) << "a compact-only topic is never deleted by retention";
  EXPECT_DOUBLE_EQ(compact->min_cleanable_dirty_ratio, 0.2);
  EXPECT_EQ(compact->delete_retention_ms, 5);
  EXPECT_EQ(compact->min_compaction_lag_ms, 7);
  EXPECT_EQ(compact->max_compaction_lag_ms, 9);
  auto both = ReplicaManager::log_config_for(
      broker, {{"cleanup.policy", "compact,delete"}, {"retention.ms", "1000"}});
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE(both->compact_policy && both->delete_policy);
  EXPECT_EQ(both->retention_ms, 1000) << "compact,delete still deletes by retention";
  auto defaults = ReplicaManager::log_config_for(broker, {});
  ASSERT_TRUE(defaults.ok());
  EXPECT_TRUE(defaults->delete_policy);
  EXPECT_FALSE(defaults->compact_policy);
  EXPECT_DOUBLE_EQ(defaults->min_cleanable_dirty_ratio, 0.5);
  EXPECT_EQ(defaults->delete_retention_ms, 86400000);
  // Kafka refuses a minimum lag above the maximum.
  EXPECT_FALSE(ReplicaManager::log_config_for(
                   broker, {{"min.compaction.lag.ms", "10"}, {"max.compaction.lag.ms", "5"}})
                   .ok());
}

}  // namespace
}  // namespace ferry::replication
