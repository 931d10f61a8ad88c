#include "controller/metadata/records.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace ferry::controller::metadata {

std::string uuid_to_bytes(const Uuid& id) {
  return std::string(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
}

Result<Uuid> uuid_from_bytes(std::string_view bytes) {
  Uuid id;
  if (bytes.size() != id.bytes.size()) {
    return Error(ErrorCode::INVALID_REQUEST,
                 fmt::format("a uuid must be 16 bytes, got {}", bytes.size()));
  }
  for (size_t i = 0; i < bytes.size(); ++i)
    id.bytes[i] = static_cast<uint8_t>(bytes[i]);
  return id;
}

Bytes encode_batch(const Records& records) {
  proto::MetadataRecordBatch batch;
  batch.mutable_records()->Reserve(static_cast<int>(records.size()));
  for (const auto& record : records)
    *batch.add_records() = record;
  Bytes out(batch.ByteSizeLong());
  FERRY_ASSERT(batch.SerializeToArray(out.data(), static_cast<int>(out.size())),
               "serializing a metadata batch of {} records", records.size());
  return out;
}

Result<proto::MetadataRecordBatch> decode_batch(ByteSpan payload) {
  proto::MetadataRecordBatch batch;
  if (!batch.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return Error(ErrorCode::CORRUPT_MESSAGE,
                 fmt::format("metadata batch of {} bytes does not parse", payload.size()));
  }
  return batch;
}

std::vector<NodeId> to_node_ids(const google::protobuf::RepeatedField<int32_t>& ids) {
  std::vector<NodeId> out;
  out.reserve(static_cast<size_t>(ids.size()));
  for (int32_t id : ids)
    out.emplace_back(id);
  return out;
}

void append_node_ids(const std::vector<NodeId>& ids,
                     google::protobuf::RepeatedField<int32_t>* out) {
  out->Reserve(out->size() + static_cast<int>(ids.size()));
  for (NodeId id : ids)
    out->Add(id.value());
}

std::string format_nodes(const std::vector<NodeId>& ids) {
  std::vector<int32_t> raw;
  raw.reserve(ids.size());
  for (NodeId id : ids)
    raw.push_back(id.value());
  return fmt::format("[{}]", fmt::join(raw, ","));
}

proto::MetadataRecord make_register_broker(const BrokerRegistration& broker) {
  proto::MetadataRecord record;
  auto* r = record.mutable_register_broker();
  r->set_broker_id(broker.id.value());
  r->set_broker_epoch(broker.epoch.value());
  r->set_incarnation_id(uuid_to_bytes(broker.incarnation_id));
  for (const auto& e : broker.endpoints) {
    auto* out = r->add_endpoints();
    out->set_listener(e.listener);
    out->set_host(e.host);
    out->set_port(e.port);
    out->set_security_protocol(e.security_protocol);
  }
  if (broker.rack) r->set_rack(*broker.rack);
  r->set_fenced(broker.fenced);
  r->set_in_controlled_shutdown(broker.in_controlled_shutdown);
  return record;
}

proto::MetadataRecord make_broker_change(NodeId broker, BrokerEpoch epoch,
                                         std::optional<bool> fenced,
                                         std::optional<bool> in_controlled_shutdown) {
  proto::MetadataRecord record;
  auto* r = record.mutable_broker_change();
  r->set_broker_id(broker.value());
  r->set_broker_epoch(epoch.value());
  if (fenced) {
    r->set_fence(*fenced ? proto::BrokerRegistrationChangeRecord::FENCE
                         : proto::BrokerRegistrationChangeRecord::UNFENCE);
  }
  if (in_controlled_shutdown) r->set_in_controlled_shutdown(*in_controlled_shutdown);
  return record;
}

proto::MetadataRecord make_topic(const Uuid& id, std::string_view name) {
  proto::MetadataRecord record;
  record.mutable_topic()->set_name(std::string(name));
  record.mutable_topic()->set_topic_id(uuid_to_bytes(id));
  return record;
}

proto::MetadataRecord make_partition(const Uuid& topic_id, int32_t partition,
                                     const PartitionRegistration& registration) {
  proto::MetadataRecord record;
  auto* r = record.mutable_partition();
  r->set_topic_id(uuid_to_bytes(topic_id));
  r->set_partition_id(partition);
  append_node_ids(registration.replicas, r->mutable_replicas());
  append_node_ids(registration.isr, r->mutable_isr());
  r->set_leader(registration.leader.value());
  r->set_leader_epoch(registration.leader_epoch.value());
  r->set_partition_epoch(registration.partition_epoch.value());
  return record;
}

proto::MetadataRecord make_remove_topic(const Uuid& topic_id) {
  proto::MetadataRecord record;
  record.mutable_remove_topic()->set_topic_id(uuid_to_bytes(topic_id));
  return record;
}

proto::MetadataRecord make_config(int32_t resource_type, std::string_view resource_name,
                                  std::string_view key, std::optional<std::string> value) {
  proto::MetadataRecord record;
  auto* r = record.mutable_config();
  r->set_resource_type(resource_type);
  r->set_resource_name(std::string(resource_name));
  r->set_name(std::string(key));
  if (value) r->set_value(std::move(*value));
  return record;
}

proto::MetadataRecord make_producer_ids(NodeId broker, BrokerEpoch epoch, int64_t next_id) {
  proto::MetadataRecord record;
  auto* r = record.mutable_producer_ids();
  r->set_broker_id(broker.value());
  r->set_broker_epoch(epoch.value());
  r->set_next_producer_id(next_id);
  return record;
}

proto::MetadataRecord make_cluster_id(std::string_view cluster_id) {
  proto::MetadataRecord record;
  record.mutable_cluster_id()->set_cluster_id(std::string(cluster_id));
  return record;
}

namespace {
std::string topic_id_text(const std::string& bytes) {
  auto id = uuid_from_bytes(bytes);
  return id.ok() ? id->to_string() : std::string("<bad id>");
}
}  // namespace

std::string describe_record(const proto::MetadataRecord& record) {
  switch (record.record_case()) {
    case proto::MetadataRecord::kRegisterBroker: {
      const auto& r = record.register_broker();
      return fmt::format("RegisterBroker id={} epoch={} fenced={}", r.broker_id(), r.broker_epoch(),
                         r.fenced());
    }
    case proto::MetadataRecord::kBrokerChange: {
      const auto& r = record.broker_change();
      return fmt::format(
          "BrokerChange id={} epoch={} fence={} shutdown={}", r.broker_id(), r.broker_epoch(),
          static_cast<int>(r.fence()),
          r.has_in_controlled_shutdown() ? (r.in_controlled_shutdown() ? "1" : "0") : "-");
    }
    case proto::MetadataRecord::kTopic:
      return fmt::format("Topic {} id={}", record.topic().name(),
                         topic_id_text(record.topic().topic_id()));
    case proto::MetadataRecord::kPartition: {
      const auto& r = record.partition();
      return fmt::format(
          "Partition {}-{} replicas={} isr={} leader={} le={} pe={}", topic_id_text(r.topic_id()),
          r.partition_id(), format_nodes(to_node_ids(r.replicas())),
          format_nodes(to_node_ids(r.isr())), r.leader(), r.leader_epoch(), r.partition_epoch());
    }
    case proto::MetadataRecord::kPartitionChange: {
      const auto& r = record.partition_change();
      return fmt::format("PartitionChange {}-{} leader={} isr={}", topic_id_text(r.topic_id()),
                         r.partition_id(), r.has_leader() ? std::to_string(r.leader()) : "-",
                         r.has_isr() ? format_nodes(to_node_ids(r.isr().ids())) : "-");
    }
    case proto::MetadataRecord::kRemoveTopic:
      return fmt::format("RemoveTopic id={}", topic_id_text(record.remove_topic().topic_id()));
    case proto::MetadataRecord::kConfig: {
      const auto& r = record.config();
      return fmt::format("Config type={} name='{}' {}={}", r.resource_type(), r.resource_name(),
                         r.name(), r.has_value() ? r.value() : "<deleted>");
    }
    case proto::MetadataRecord::kProducerIds:
      return fmt::format("ProducerIds broker={} next={}", record.producer_ids().broker_id(),
                         record.producer_ids().next_producer_id());
    case proto::MetadataRecord::kClusterId:
      return fmt::format("ClusterId {}", record.cluster_id().cluster_id());
    case proto::MetadataRecord::RECORD_NOT_SET:
      break;
  }
  return "EmptyRecord";
}

}  // namespace ferry::controller::metadata
