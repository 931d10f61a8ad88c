// The neutral description of one partition replica's place in the cluster, which `broker/`
// builds from the controller's metadata image and `replication/` acts on. Replication never
// sees controller types (ARCHITECTURE.md section 2): this header is the whole contract.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/strong_types.h"
#include "common/uuid.h"

namespace ferry::replication {

// Kafka's PartitionRegistration, as far as replicas care.
// Invariants (kept by the controller): `leader` is kNoNode or a member of `isr`; `isr` is a
// subset of `replicas`; `leader_epoch` grows on every leader change, `partition_epoch` on every
// change of any field.
struct PartitionAssignment {
  std::vector<NodeId> replicas;
  std::vector<NodeId> isr;
  NodeId leader{kNoNode};
  LeaderEpoch leader_epoch{0};
  PartitionEpoch partition_epoch{0};
  bool operator==(const PartitionAssignment&) const = default;
};

// One partition this broker hosts a replica of.
struct HostedPartition {
  std::string topic;
  int32_t index = 0;
  Uuid topic_id;
  PartitionAssignment assignment;
  std::map<std::string, std::string> configs;  // the topic's overrides (Kafka topic keys)
};

// Where a broker serves replica fetches (its inter-broker listener) and its current
// registration epoch. Only live (registered, unfenced, not shutting down) brokers are listed.
struct BrokerEndpoint {
  std::string host;
  int32_t port = 0;
  BrokerEpoch epoch{-1};
  bool operator==(const BrokerEndpoint&) const = default;
};

// What the metadata image says this broker should host, in replication's terms.
struct ClusterAssignment {
  // Metadata log offset the view was built from (only grows).
  int64_t metadata_offset = 0;
  std::vector<HostedPartition> partitions;
  std::map<NodeId, BrokerEndpoint> live_brokers;
};

}  // namespace ferry::replication
