// The Kafka requests behind the admin commands, as plain structs in and out.
//
// Every function waits at most until `deadline` (the admin requests also carry the same bound
// as their request timeout, so librdkafka gives up first and reports _TIMED_OUT). The outer
// Result fails when the request as a whole failed (timeout, no broker); per-topic outcomes
// are in the returned items. Broker messages are passed through unchanged.
//
// Metadata is always requested for all topics: asking librdkafka for one topic by name goes
// through a topic handle, which on a producer handle may auto-create the topic on brokers
// with auto.create.topics.enable=true - a describe must never create.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/kafka/client.h"
#include "common/error.h"

namespace ferry::cli {

struct BrokerInfo {
  int32_t id = -1;
  std::string host;
  int port = 0;
};

struct PartitionInfo {
  int32_t id = 0;
  int32_t leader = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  ErrorCode error = ErrorCode::NONE;
};

struct TopicInfo {
  std::string name;
  ErrorCode error = ErrorCode::NONE;
  std::vector<PartitionInfo> partitions;  // sorted by id
};

struct ClusterInfo {
  std::string cluster_id;           // empty when the broker sent none (Metadata < v2)
  int32_t controller_id = -1;       // -1 when unknown
  std::vector<BrokerInfo> brokers;  // sorted by id
  std::vector<TopicInfo> topics;    // sorted by name
};

// Metadata for all topics (or none: brokers and cluster ids only).
Result<ClusterInfo> fetch_cluster(Client& client, bool with_topics, const Deadline& deadline);
// The topic in `cluster`, or UNKNOWN_TOPIC_OR_PARTITION.
Result<TopicInfo> find_topic(const ClusterInfo& cluster, const std::string& name);

struct Watermarks {
  int64_t log_start = -1;
  int64_t high = -1;
};
Result<Watermarks> query_watermarks(Client& client, const std::string& topic, int32_t partition,
                                    const Deadline& deadline);

// The outcome of an admin request for one topic.
struct TopicOutcome {
  std::string topic;
  std::optional<Error> error;
};

struct NewTopic {
  std::string name;
  int32_t partitions = -1;          // -1: the broker's default
  int32_t replication_factor = -1;  // -1: the broker's default
  std::vector<std::pair<std::string, std::string>> configs;
};

Result<std::vector<TopicOutcome>> create_topics(Client& client, const std::vector<NewTopic>& topics,
                                                bool validate_only, const Deadline& deadline);
Result<std::vector<TopicOutcome>> delete_topics(Client& client,
                                                const std::vector<std::string>& topics,
                                                const Deadline& deadline);
// `new_totals`: topic and its new total partition count.
Result<std::vector<TopicOutcome>> create_partitions(
    Client& client, const std::vector<std::pair<std::string, int32_t>>& new_totals,
    bool validate_only, const Deadline& deadline);

struct ConfigEntry {
  std::string name;
  std::optional<std::string> value;  // null for sensitive entries
  std::string source;  // librdkafka's source name: DYNAMIC_TOPIC_CONFIG, DEFAULT_CONFIG, ...
  bool read_only = false;
  bool sensitive = false;
  bool is_dynamic_topic_config() const { return source == "DYNAMIC_TOPIC_CONFIG"; }
};

struct TopicConfigs {
  std::string topic;
  std::optional<Error> error;
  std::vector<ConfigEntry> entries;  // sorted by name
};

Result<std::vector<TopicConfigs>> describe_topic_configs(Client& client,
                                                         const std::vector<std::string>& topics,
                                                         const Deadline& deadline);

// Non-incremental AlterConfigs: each topic's dynamic configs become exactly `configs`.
struct TopicConfigSet {
  std::string topic;
  std::vector<std::pair<std::string, std::string>> configs;
};
Result<std::vector<TopicOutcome>> alter_topic_configs(Client& client,
                                                      const std::vector<TopicConfigSet>& sets,
                                                      bool validate_only, const Deadline& deadline);

}  // namespace ferry::cli
