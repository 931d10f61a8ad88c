#include "broker/cluster_assignment.h"

#include <algorithm>

namespace ferry::broker {

replication::PartitionAssignment to_assignment(
    const controller::metadata::PartitionRegistration& p) {
  return replication::PartitionAssignment{p.replicas, p.isr, p.leader, p.leader_epoch,
                                          p.partition_epoch};
}

replication::ClusterAssignment cluster_assignment(const controller::metadata::MetadataImage& image,
                                                  NodeId self, std::string_view listener) {
  replication::ClusterAssignment out;
  out.metadata_offset = image.offset.value();
  for (const auto& [id, broker] : image.brokers) {
    if (broker.fenced || broker.in_controlled_shutdown) continue;
    const controller::metadata::Endpoint* endpoint = broker.endpoint(listener);
    if (endpoint == nullptr) continue;
    out.live_brokers[id] =
        replication::BrokerEndpoint{endpoint->host, endpoint->port, broker.epoch};
  }
  for (const auto& [id, topic] : image.topics) {
    for (size_t i = 0; i < topic->partitions.size(); ++i) {
      const auto& p = topic->partitions[i];
      if (std::find(p.replicas.begin(), p.replicas.end(), self) == p.replicas.end()) continue;
      out.partitions.push_back(replication::HostedPartition{
          topic->name, static_cast<int32_t>(i), topic->id, to_assignment(p), topic->configs});
    }
  }
  return out;
}

}  // namespace ferry::broker
