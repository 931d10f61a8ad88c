// Resolving a (topic, partition) of a request to this broker's Partition, with the Kafka error
// a client expects when that fails. Shared by the data-path handlers.
#pragma once

#include <memory>
#include <string>

#include "broker/broker.h"
#include "common/topic_name.h"
#include "replication/partition.h"
#include "replication/replica_manager.h"

namespace ferry::broker::kafka {

struct PartitionLookup {
  std::shared_ptr<replication::Partition> partition;  // set when error == NONE
  ErrorCode error = ErrorCode::NONE;
  std::string message;
  const controller::metadata::TopicImage* topic = nullptr;  // set when the topic exists
};

// By name: INVALID_TOPIC_EXCEPTION, UNKNOWN_TOPIC_OR_PARTITION (topic or partition index
// unknown), NOT_LEADER_OR_FOLLOWER (this broker hosts no replica).
inline PartitionLookup lookup_partition(broker::Broker& broker,
                                        const controller::metadata::MetadataImage& image,
                                        const std::string& topic, int32_t index) {
  PartitionLookup out;
  if (auto valid = validate_topic_name(topic); !valid.ok()) {
    out.error = valid.code();
    out.message = valid.error().message();
    return out;
  }
  out.topic = image.topic(topic);
  if (out.topic == nullptr || index < 0 ||
      index >= static_cast<int32_t>(out.topic->partitions.size())) {
    out.error = ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
    out.message =
        fmt::format("This server does not host this topic-partition: {}-{}", topic, index);
    return out;
  }
  out.partition = broker.partitions().get(topic, index);
  if (out.partition == nullptr) {
    out.error = ErrorCode::NOT_LEADER_OR_FOLLOWER;
    out.message =
        fmt::format("Broker {} hosts no replica of {}-{}", broker.node_id(), topic, index);
  }
  return out;
}

// By topic id (Fetch v13+): UNKNOWN_TOPIC_ID when the id is unknown.
inline PartitionLookup lookup_partition(broker::Broker& broker,
                                        const controller::metadata::MetadataImage& image,
                                        const Uuid& topic_id, int32_t index) {
  const auto* topic = image.topic(topic_id);
  if (topic == nullptr) {
    PartitionLookup out;
    out.error = ErrorCode::UNKNOWN_TOPIC_ID;
    out.message = fmt::format("Unknown topic id {}", topic_id.to_string());
    return out;
  }
  return lookup_partition(broker, image, topic->name, index);
}

}  // namespace ferry::broker::kafka
