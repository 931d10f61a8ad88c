#include "controller/metadata/partition_change.h"

#include <algorithm>

namespace ferry::controller::metadata {

namespace {

bool contains(const std::vector<NodeId>& ids, NodeId id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

struct Election {
  NodeId leader = kNoNode;
  std::vector<NodeId> isr;
};

Election elect(const PartitionRegistration& current, std::vector<NodeId> target_isr,
               const IsUsable& is_usable, bool unclean_allowed) {
  if (current.leader != kNoNode && contains(target_isr, current.leader) &&
      is_usable(current.leader)) {
    return {current.leader, std::move(target_isr)};
  }
  for (NodeId replica : current.replicas) {
    if (contains(target_isr, replica) && is_usable(replica))
      return {replica, std::move(target_isr)};
  }
  if (unclean_allowed) {
    for (NodeId replica : current.replicas) {
      if (is_usable(replica)) return {replica, {replica}};
    }
  }
  return {kNoNode, std::move(target_isr)};
}

const char* kUncleanKey = "unclean.leader.election.enable";

}  // namespace

std::optional<proto::MetadataRecord> build_partition_change(const Uuid& topic_id, int32_t partition,
                                                            const PartitionRegistration& current,
                                                            std::vector<NodeId> target_isr,
                                                            const IsUsable& is_usable,
                                                            bool unclean_allowed) {
  Election e = elect(current, std::move(target_isr), is_usable, unclean_allowed);
  const bool leader_changed = e.leader != current.leader;
  const bool isr_changed = e.isr != current.isr;
  if (!leader_changed && !isr_changed) return std::nullopt;
  proto::MetadataRecord record;
  auto* change = record.mutable_partition_change();
  change->set_topic_id(uuid_to_bytes(topic_id));
  change->set_partition_id(partition);
  if (leader_changed) change->set_leader(e.leader.value());
  if (isr_changed) append_node_ids(e.isr, change->mutable_isr()->mutable_ids());
  return record;
}

bool unclean_election_enabled(const MetadataImage& image, const TopicImage& topic,
                              bool static_default) {
  auto parse = [](const std::string& v) { return v == "true"; };
  if (auto it = topic.configs.find(kUncleanKey); it != topic.configs.end())
    return parse(it->second);
  if (auto it = image.cluster_configs.find(kUncleanKey); it != image.cluster_configs.end()) {
    return parse(it->second);
  }
  return static_default;
}

Records changes_for_broker_leaving(const MetadataImage& image, NodeId broker,
                                   const IsUsable& is_usable, bool unclean_default) {
  Records out;
  for (const auto& [id, topic] : image.topics) {
    const bool unclean = unclean_election_enabled(image, *topic, unclean_default);
    for (size_t p = 0; p < topic->partitions.size(); ++p) {
      const PartitionRegistration& current = topic->partitions[p];
      if (!contains(current.isr, broker) && current.leader != broker) continue;
      std::vector<NodeId> target;
      for (NodeId member : current.isr) {
        if (member != broker) target.push_back(member);
      }
      if (target.empty()) target = current.isr;  // keep the last member (see header)
      if (auto record = build_partition_change(id, static_cast<int32_t>(p), current,
                                               std::move(target), is_usable, unclean)) {
        out.push_back(std::move(*record));
      }
    }
  }
  return out;
}

Records changes_for_leaderless_partitions(const MetadataImage& image, const IsUsable& is_usable,
                                          bool unclean_default) {
  Records out;
  for (const auto& [id, topic] : image.topics) {
    const bool unclean = unclean_election_enabled(image, *topic, unclean_default);
    for (size_t p = 0; p < topic->partitions.size(); ++p) {
      const PartitionRegistration& current = topic->partitions[p];
      if (current.leader != kNoNode) continue;
      if (auto record = build_partition_change(id, static_cast<int32_t>(p), current, current.isr,
                                               is_usable, unclean)) {
        out.push_back(std::move(*record));
      }
    }
  }
  return out;
}

}  // namespace ferry::controller::metadata
