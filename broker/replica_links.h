// The broker's side of replication's interfaces (replication/transport.h):
//  * KafkaReplicaFetchClients: replica fetches as Kafka Fetch v17 requests (ReplicaState with
//    this broker's id and epoch, topic ids, Ferry's FerryReplica tagged field) over an outgoing
//    Kafka connection to the leader's inter-broker listener;
//  * ControllerIsrChannel: AlterPartition through the ControllerApi (KIP-903 broker epochs).
#pragma once

#include <memory>

#include "controller/controller_api.h"
#include "replication/transport.h"

namespace ferry::broker::net {
class IoRuntime;
}

namespace ferry::broker {

class KafkaReplicaFetchClients final : public replication::ReplicaFetchClientFactory {
 public:
  KafkaReplicaFetchClients(net::IoRuntime& runtime, NodeId self, int64_t socket_timeout_ms)
      : runtime_(runtime), self_(self), socket_timeout_ms_(socket_timeout_ms) {}
  std::unique_ptr<replication::ReplicaFetchClient> connect(
      NodeId broker, const replication::BrokerEndpoint& endpoint) override;

 private:
  net::IoRuntime& runtime_;
  const NodeId self_;
  const int64_t socket_timeout_ms_;
};

class ControllerIsrChannel final : public replication::IsrChannel {
 public:
  ControllerIsrChannel(controller::ControllerApi& controller, NodeId self,
                       std::function<BrokerEpoch()> broker_epoch)
      : controller_(controller), self_(self), broker_epoch_(std::move(broker_epoch)) {}
  void alter_partition(const Uuid& topic_id, int32_t partition,
                       const replication::IsrProposal& proposal,
                       std::function<void(Result<replication::PartitionAssignment>)> done) override;

 private:
  controller::ControllerApi& controller_;
  const NodeId self_;
  const std::function<BrokerEpoch()> broker_epoch_;
};

}  // namespace ferry::broker
