// The cluster metadata image: an immutable, versioned snapshot of the state the controller
// quorum's metadata log describes (ARCHITECTURE.md section 4). The controller's metadata state
// machine produces a new image for every applied batch of records; brokers (as observers of the
// metadata log) hold the latest one and read it without locks.
//
// Plain C++ only: this header is included widely (broker handlers) and must stay free of
// protobuf, gRPC, RocksDB and Asio headers.
//
// Ownership: images are shared as `std::shared_ptr<const MetadataImage>`; an image never changes
// after publication. Unchanged topics are shared between consecutive images.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/strong_types.h"
#include "common/uuid.h"

namespace ferry::controller::metadata {

// A listener a broker serves, as advertised: PLAINTEXT://host:port is {"PLAINTEXT", host, port}.
struct Endpoint {
  std::string listener;
  std::string host;
  int32_t port = 0;
  std::string security_protocol = "PLAINTEXT";
  bool operator==(const Endpoint&) const = default;
};

struct BrokerRegistration {
  NodeId id{-1};
  BrokerEpoch epoch{-1};  // new on every registration (every broker process start)
  Uuid incarnation_id;    // random per broker process start
  std::vector<Endpoint> endpoints;
  std::optional<std::string> rack;
  bool fenced = true;  // fenced brokers lead nothing and are not in any new ISR
  bool in_controlled_shutdown = false;

  const Endpoint* endpoint(std::string_view listener) const {
    for (const auto& e : endpoints) {
      if (e.listener == listener) return &e;
    }
    return nullptr;
  }
  bool operator==(const BrokerRegistration&) const = default;
};

// One partition's replica set and leadership (Kafka's PartitionRegistration).
// Invariants: leader is kNoNode or a member of isr; isr is a subset of replicas; leader_epoch
// and partition_epoch only grow (partition_epoch on every change, leader_epoch on every leader
// change).
struct PartitionRegistration {
  std::vector<NodeId> replicas;
  std::vector<NodeId> isr;
  NodeId leader{-1};
  LeaderEpoch leader_epoch{0};
  PartitionEpoch partition_epoch{0};
  bool operator==(const PartitionRegistration&) const = default;
};

struct TopicImage {
  Uuid id;
  std::string name;
  std::vector<PartitionRegistration> partitions;  // index = partition id
  std::map<std::string, std::string> configs;     // per-topic overrides (topic keys)
  bool operator==(const TopicImage&) const = default;
};

struct MetadataImage {
  // The metadata log offset (Raft index) of the last record this image includes; 0 = empty.
  LogIndex offset{0};
  std::string cluster_id;
  std::map<NodeId, BrokerRegistration> brokers;
  std::map<Uuid, std::shared_ptr<const TopicImage>> topics;
  std::map<std::string, Uuid, std::less<>> topic_ids;  // name -> id
  // Cluster-wide dynamic broker configs (DescribeConfigs/AlterConfigs on the default broker
  // resource ""), broker keys.
  std::map<std::string, std::string> cluster_configs;
  // Per-broker dynamic configs (AlterConfigs on broker resource "<id>"), broker keys. Added by
  // the controller engineer (additive); brokers that ignore it lose nothing else.
  std::map<NodeId, std::map<std::string, std::string>> broker_configs;
  // The next producer id the controller hands out (producer-id blocks).
  int64_t next_producer_id = 0;

  const TopicImage* topic(std::string_view name) const {
    const auto it = topic_ids.find(name);
    return it == topic_ids.end() ? nullptr : topic(it->second);
  }
  const TopicImage* topic(const Uuid& id) const {
    const auto it = topics.find(id);
    return it == topics.end() ? nullptr : it->second.get();
  }
  const BrokerRegistration* broker(NodeId id) const {
    const auto it = brokers.find(id);
    return it == brokers.end() ? nullptr : &it->second;
  }
};

using MetadataImagePtr = std::shared_ptr<const MetadataImage>;

}  // namespace ferry::controller::metadata
