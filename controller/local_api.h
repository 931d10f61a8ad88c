// LocalControllerApi: the ControllerApi a broker co-located with a voter uses
// (process.roles=broker,controller). Every call first goes to the local QuorumController, which
// serves it when this voter is the active controller. When the answer is NOT_CONTROLLER --
// this voter is not the leader, or it lost leadership before the change committed (the change
// is then known not to be in the log, so repeating it is safe) -- the call is forwarded to the
// active controller over gRPC (RemoteControllerApi).
//
// Threading: as ControllerApi; callbacks run on the controller's driver thread or the remote
// client's threads.
#pragma once

#include <atomic>

#include "controller/controller_api.h"
#include "controller/grpc/remote_api.h"
#include "controller/quorum/quorum_controller.h"

namespace ferry::controller {

class LocalControllerApi final : public ControllerApi {
 public:
  LocalControllerApi(QuorumController& local, RemoteControllerApi& remote)
      : local_(local), remote_(remote) {}

  void create_topics(std::vector<CreateTopicSpec> topics, bool validate_only,
                     Callback<std::vector<CreateTopicResult>> done) override;
  void delete_topics(std::vector<DeleteTopicSpec> topics,
                     Callback<std::vector<DeleteTopicResult>> done) override;
  void create_partitions(std::vector<CreatePartitionsSpec> topics, bool validate_only,
                         Callback<std::vector<CreatePartitionsResult>> done) override;
  void alter_configs(std::vector<AlterConfigsSpec> resources, bool validate_only,
                     Callback<std::vector<AlterConfigsResult>> done) override;
  void register_broker(BrokerRegistrationRequest request,
                       Callback<BrokerRegistrationReply> done) override;
  void broker_heartbeat(BrokerHeartbeatRequest request,
                        Callback<BrokerHeartbeatReply> done) override;
  void alter_partition(AlterPartitionRequest request, Callback<AlterPartitionReply> done) override;
  void allocate_producer_ids(NodeId broker_id, BrokerEpoch broker_epoch,
                             Callback<AllocateProducerIdsReply> done) override;
  NodeId active_controller() const override;

  // From now on, NOT_CONTROLLER answers are returned as they are (shutdown).
  void stop_forwarding() { forwarding_ = false; }

 private:
  template <typename Reply, typename Local, typename Remote>
  void route(Local local, Remote remote, Callback<Reply> done);

  QuorumController& local_;
  RemoteControllerApi& remote_;
  std::atomic<bool> forwarding_{true};
};

}  // namespace ferry::controller
