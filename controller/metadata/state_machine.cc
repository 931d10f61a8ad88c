#include "controller/metadata/state_machine.h"
#include "common/parse.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace ferry::controller::metadata {

namespace {

Error corrupt(std::string message) {
  return Error(ErrorCode::CORRUPT_MESSAGE, std::move(message));
}

// Kafka's ConfigResource type codes as stored in ConfigRecord.
constexpr int32_t kTopicResource = 2;
constexpr int32_t kBrokerResource = 4;

std::optional<NodeId> parse_broker_id(std::string_view text) {
  const auto value = parse_integer<int32_t>(text);
  if (!value || *value < 0) return std::nullopt;
  return NodeId(*value);
}

Endpoint endpoint_from(const proto::Endpoint& e) {
  return Endpoint{e.listener(), e.host(), e.port(),
                  e.security_protocol().empty() ? std::string("PLAINTEXT") : e.security_protocol()};
}

bool is_subset(const std::vector<NodeId>& subset, const std::vector<NodeId>& set) {
  for (NodeId id : subset) {
    if (std::find(set.begin(), set.end(), id) == set.end()) return false;
  }
  return true;
}

}  // namespace

Status MetadataBuilder::apply(LogIndex offset, const proto::MetadataRecordBatch& batch) {
  FERRY_ASSERT(offset > image_.offset, "metadata offset {} applied after {}", offset,
               image_.offset);
  for (const auto& record : batch.records()) {
    Status applied = apply_record(offset, record);
    if (!applied.ok()) {
      return applied.error().with_context(
          fmt::format("applying {} at offset {}: ", describe_record(record), offset));
    }
  }
  image_.offset = offset;
  return ok_status();
}

Status MetadataBuilder::apply(LogIndex offset, const Records& records) {
  proto::MetadataRecordBatch batch;
  for (const auto& r : records)
    *batch.add_records() = r;
  return apply(offset, batch);
}

void MetadataBuilder::advance_to(LogIndex offset) {
  FERRY_ASSERT(offset > image_.offset, "metadata offset {} applied after {}", offset,
               image_.offset);
  image_.offset = offset;
}

MetadataImagePtr MetadataBuilder::publish() {
  owned_topics_.clear();  // now shared with the published image: copy before the next change
  return std::make_shared<const MetadataImage>(image_);
}

Status MetadataBuilder::apply_record(LogIndex offset, const proto::MetadataRecord& record) {
  (void)offset;
  switch (record.record_case()) {
    case proto::MetadataRecord::kRegisterBroker:
      return apply_register_broker(record.register_broker());
    case proto::MetadataRecord::kBrokerChange:
      return apply_broker_change(record.broker_change());
    case proto::MetadataRecord::kTopic:
      return apply_topic(record.topic());
    case proto::MetadataRecord::kPartition:
      return apply_partition(record.partition());
    case proto::MetadataRecord::kPartitionChange:
      return apply_partition_change(record.partition_change());
    case proto::MetadataRecord::kRemoveTopic:
      return apply_remove_topic(record.remove_topic());
    case proto::MetadataRecord::kConfig:
      return apply_config(record.config());
    case proto::MetadataRecord::kProducerIds:
      return apply_producer_ids(record.producer_ids());
    case proto::MetadataRecord::kClusterId:
      if (image_.cluster_id.empty()) {
        image_.cluster_id = record.cluster_id().cluster_id();
        changes_.cluster = true;
      }
      return ok_status();
    case proto::MetadataRecord::RECORD_NOT_SET:
      break;
  }
  return corrupt("unknown or empty metadata record");
}

Status MetadataBuilder::apply_register_broker(const proto::RegisterBrokerRecord& r) {
  FERRY_ASSIGN_OR_RETURN(Uuid incarnation, uuid_from_bytes(r.incarnation_id()));
  BrokerRegistration broker;
  broker.id = NodeId(r.broker_id());
  broker.epoch = BrokerEpoch(r.broker_epoch());
  broker.incarnation_id = incarnation;
  for (const auto& e : r.endpoints())
    broker.endpoints.push_back(endpoint_from(e));
  if (r.has_rack()) broker.rack = r.rack();
  broker.fenced = r.fenced();
  broker.in_controlled_shutdown = r.in_controlled_shutdown();
  if (broker.id < NodeId(0)) return corrupt(fmt::format("broker id {} is negative", broker.id));
  image_.brokers[broker.id] = std::move(broker);
  changes_.brokers.insert(NodeId(r.broker_id()));
  return ok_status();
}

Status MetadataBuilder::apply_broker_change(const proto::BrokerRegistrationChangeRecord& r) {
  const NodeId id(r.broker_id());
  auto it = image_.brokers.find(id);
  if (it == image_.brokers.end()) return corrupt(fmt::format("broker {} is not registered", id));
  if (it->second.epoch != BrokerEpoch(r.broker_epoch())) {
    return ok_status();  // a change for an older registration of this broker: stale, ignored
  }
  if (r.fence() == proto::BrokerRegistrationChangeRecord::FENCE) it->second.fenced = true;
  if (r.fence() == proto::BrokerRegistrationChangeRecord::UNFENCE) it->second.fenced = false;
  if (r.has_in_controlled_shutdown()) {
    it->second.in_controlled_shutdown = r.in_controlled_shutdown();
  }
  changes_.brokers.insert(id);
  return ok_status();
}

Status MetadataBuilder::apply_topic(const proto::TopicRecord& r) {
  FERRY_ASSIGN_OR_RETURN(Uuid id, uuid_from_bytes(r.topic_id()));
  if (id.is_zero()) return corrupt("topic id is zero");
  if (image_.topic_ids.contains(r.name())) {
    return corrupt(fmt::format("topic '{}' already exists", r.name()));
  }
  if (image_.topics.contains(id)) {
    return corrupt(fmt::format("topic id {} already exists", id.to_string()));
  }
  auto topic = std::make_shared<TopicImage>();
  topic->id = id;
  topic->name = r.name();
  image_.topics.emplace(id, topic);
  image_.topic_ids.emplace(r.name(), id);
  owned_topics_.emplace(id, std::move(topic));
  changes_.topics.insert(id);
  return ok_status();
}

Result<TopicImage*> MetadataBuilder::mutable_topic(const std::string& id_bytes) {
  FERRY_ASSIGN_OR_RETURN(Uuid id, uuid_from_bytes(id_bytes));
  if (!image_.topics.contains(id)) {
    return corrupt(fmt::format("unknown topic id {}", id.to_string()));
  }
  return &mutable_topic(id);
}

TopicImage& MetadataBuilder::mutable_topic(const Uuid& id) {
  changes_.topics.insert(id);
  if (auto it = owned_topics_.find(id); it != owned_topics_.end()) return *it->second;
  auto copy = std::make_shared<TopicImage>(*image_.topics.at(id));
  image_.topics[id] = copy;
  owned_topics_.emplace(id, copy);
  return *copy;
}

Status MetadataBuilder::apply_partition(const proto::PartitionRecord& r) {
  FERRY_ASSIGN_OR_RETURN(TopicImage * topic, mutable_topic(r.topic_id()));
  const int32_t index = r.partition_id();
  if (index < 0 || index > static_cast<int32_t>(topic->partitions.size())) {
    return corrupt(fmt::format("partition {} of '{}' is not contiguous (count {})", index,
                               topic->name, topic->partitions.size()));
  }
  PartitionRegistration p;
  p.replicas = to_node_ids(r.replicas());
  p.isr = to_node_ids(r.isr());
  p.leader = NodeId(r.leader());
  p.leader_epoch = LeaderEpoch(r.leader_epoch());
  p.partition_epoch = PartitionEpoch(r.partition_epoch());
  if (p.replicas.empty() || !is_subset(p.isr, p.replicas)) {
    return corrupt(
        fmt::format("partition {}-{} has an ISR outside its replicas", topic->name, index));
  }
  if (index == static_cast<int32_t>(topic->partitions.size())) {
    topic->partitions.push_back(std::move(p));
  } else {
    topic->partitions[static_cast<size_t>(index)] = std::move(p);
  }
  return ok_status();
}

Status MetadataBuilder::apply_partition_change(const proto::PartitionChangeRecord& r) {
  FERRY_ASSIGN_OR_RETURN(TopicImage * topic, mutable_topic(r.topic_id()));
  const int32_t index = r.partition_id();
  if (index < 0 || index >= static_cast<int32_t>(topic->partitions.size())) {
    return corrupt(fmt::format("partition {}-{} does not exist", topic->name, index));
  }
  PartitionRegistration& p = topic->partitions[static_cast<size_t>(index)];
  if (r.has_replicas()) p.replicas = to_node_ids(r.replicas().ids());
  if (r.has_isr()) p.isr = to_node_ids(r.isr().ids());
  if (r.has_leader() && NodeId(r.leader()) != p.leader) {
    p.leader = NodeId(r.leader());
    ++p.leader_epoch;
  }
  ++p.partition_epoch;
  if (!is_subset(p.isr, p.replicas)) {
    return corrupt(fmt::format("partition {}-{} ISR {} is not within replicas {}", topic->name,
                               index, format_nodes(p.isr), format_nodes(p.replicas)));
  }
  return ok_status();
}

Status MetadataBuilder::apply_remove_topic(const proto::RemoveTopicRecord& r) {
  FERRY_ASSIGN_OR_RETURN(Uuid id, uuid_from_bytes(r.topic_id()));
  auto it = image_.topics.find(id);
  if (it == image_.topics.end()) return corrupt(fmt::format("unknown topic id {}", id.to_string()));
  image_.topic_ids.erase(it->second->name);
  image_.topics.erase(it);
  owned_topics_.erase(id);
  changes_.topics.insert(id);
  return ok_status();
}

Status MetadataBuilder::apply_config(const proto::ConfigRecord& r) {
  std::map<std::string, std::string>* configs = nullptr;
  if (r.resource_type() == kTopicResource) {
    const auto id = image_.topic_ids.find(r.resource_name());
    if (id == image_.topic_ids.end()) {
      return corrupt(fmt::format("config for unknown topic '{}'", r.resource_name()));
    }
    configs = &mutable_topic(id->second).configs;
  } else if (r.resource_type() == kBrokerResource && r.resource_name().empty()) {
    configs = &image_.cluster_configs;
    changes_.cluster = true;
  } else if (r.resource_type() == kBrokerResource) {
    const auto broker = parse_broker_id(r.resource_name());
    if (!broker) return corrupt(fmt::format("bad broker resource '{}'", r.resource_name()));
    configs = &image_.broker_configs[*broker];
    changes_.brokers.insert(*broker);
  } else {
    return corrupt(fmt::format("unknown config resource type {}", r.resource_type()));
  }
  if (r.has_value()) {
    (*configs)[r.name()] = r.value();
  } else {
    configs->erase(r.name());
  }
  if (r.resource_type() == kBrokerResource && !r.resource_name().empty() && configs->empty()) {
    image_.broker_configs.erase(*parse_broker_id(r.resource_name()));
  }
  return ok_status();
}

Status MetadataBuilder::apply_producer_ids(const proto::ProducerIdsRecord& r) {
  if (r.next_producer_id() < image_.next_producer_id) {
    return corrupt(fmt::format("next producer id {} is below the current {}", r.next_producer_id(),
                               image_.next_producer_id));
  }
  image_.next_producer_id = r.next_producer_id();
  changes_.cluster = true;
  return ok_status();
}

// ---- Snapshots -------------------------------------------------------------------------------

Records topic_to_records(const TopicImage& topic) {
  Records out;
  out.reserve(1 + topic.configs.size() + topic.partitions.size());
  out.push_back(make_topic(topic.id, topic.name));
  for (const auto& [key, value] : topic.configs) {
    out.push_back(make_config(kTopicResource, topic.name, key, value));
  }
  for (size_t i = 0; i < topic.partitions.size(); ++i) {
    out.push_back(make_partition(topic.id, static_cast<int32_t>(i), topic.partitions[i]));
  }
  return out;
}

proto::MetadataRecord broker_to_record(const BrokerRegistration& broker) {
  return make_register_broker(broker);
}

Records broker_configs_to_records(NodeId broker, const std::map<std::string, std::string>& cfg) {
  Records out;
  for (const auto& [key, value] : cfg) {
    out.push_back(make_config(kBrokerResource, std::to_string(broker.value()), key, value));
  }
  return out;
}

Records cluster_to_records(const MetadataImage& image) {
  Records out;
  if (!image.cluster_id.empty()) out.push_back(make_cluster_id(image.cluster_id));
  for (const auto& [key, value] : image.cluster_configs) {
    out.push_back(make_config(kBrokerResource, "", key, value));
  }
  if (image.next_producer_id != 0) {
    out.push_back(make_producer_ids(kNoNode, BrokerEpoch(-1), image.next_producer_id));
  }
  return out;
}

Records image_to_records(const MetadataImage& image) {
  Records out = cluster_to_records(image);
  for (const auto& [id, broker] : image.brokers)
    out.push_back(broker_to_record(broker));
  for (const auto& [id, cfg] : image.broker_configs) {
    for (auto& r : broker_configs_to_records(id, cfg))
      out.push_back(std::move(r));
  }
  for (const auto& [id, topic] : image.topics) {
    for (auto& r : topic_to_records(*topic))
      out.push_back(std::move(r));
  }
  return out;
}

proto::MetadataSnapshot make_snapshot(const MetadataImage& image) {
  proto::MetadataSnapshot snapshot;
  snapshot.set_offset(image.offset.value());
  for (auto& r : image_to_records(image))
    *snapshot.add_records() = std::move(r);
  return snapshot;
}

Result<MetadataImage> image_from_snapshot(const proto::MetadataSnapshot& snapshot) {
  MetadataBuilder builder;
  if (snapshot.offset() <= 0) return corrupt("snapshot offset must be positive");
  proto::MetadataRecordBatch batch;
  *batch.mutable_records() = snapshot.records();
  FERRY_TRY(builder.apply(LogIndex(snapshot.offset()), batch));
  return builder.current();
}

}  // namespace ferry::controller::metadata
