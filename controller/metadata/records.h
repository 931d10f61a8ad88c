// Controller-internal helpers around the metadata records of proto/metadata.proto: encoding a
// batch into a Raft entry payload and back, Uuid <-> bytes, and builders for the records the
// commands emit. Includes generated protobuf headers: controller/ .cc files and tests only,
// never broker code (the broker sees only controller/metadata/image.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "common/strong_types.h"
#include "common/uuid.h"
#include "controller/metadata/image.h"
#include "proto/metadata.pb.h"

namespace ferry::controller::metadata {

using Records = std::vector<proto::MetadataRecord>;

// The name of the metadata log as Kafka spells it; creating a topic with this name is refused.
inline constexpr std::string_view kClusterMetadataTopic = "__cluster_metadata";

// Uuids travel as 16 raw bytes.
std::string uuid_to_bytes(const Uuid& id);
// INVALID_REQUEST unless exactly 16 bytes.
Result<Uuid> uuid_from_bytes(std::string_view bytes);

// The payload of one Raft entry: a serialized MetadataRecordBatch (protobuf wire format).
Bytes encode_batch(const Records& records);
// CORRUPT_MESSAGE when the payload does not parse.
Result<proto::MetadataRecordBatch> decode_batch(ByteSpan payload);

// ---- Record builders (the commands' vocabulary) ----------------------------------------------

proto::MetadataRecord make_register_broker(const BrokerRegistration& broker);
proto::MetadataRecord make_broker_change(NodeId broker, BrokerEpoch epoch,
                                         std::optional<bool> fenced,
                                         std::optional<bool> in_controlled_shutdown);
proto::MetadataRecord make_topic(const Uuid& id, std::string_view name);
proto::MetadataRecord make_partition(const Uuid& topic_id, int32_t partition,
                                     const PartitionRegistration& registration);
proto::MetadataRecord make_remove_topic(const Uuid& topic_id);
// resource_type: 2 topic (name = topic name), 4 broker (name "" = cluster default, or an id).
proto::MetadataRecord make_config(int32_t resource_type, std::string_view resource_name,
                                  std::string_view key, std::optional<std::string> value);
proto::MetadataRecord make_producer_ids(NodeId broker, BrokerEpoch epoch, int64_t next_id);
proto::MetadataRecord make_cluster_id(std::string_view cluster_id);

std::vector<NodeId> to_node_ids(const google::protobuf::RepeatedField<int32_t>& ids);
void append_node_ids(const std::vector<NodeId>& ids, google::protobuf::RepeatedField<int32_t>* out);

// "[1,2,3]" for log lines and messages.
std::string format_nodes(const std::vector<NodeId>& ids);

// One short line per record for logs: "Topic orders id=...", "PartitionChange ...".
std::string describe_record(const proto::MetadataRecord& record);

}  // namespace ferry::controller::metadata
