// RemoteControllerApi: the ControllerApi over gRPC to the active controller, for pure brokers
// (QuorumClient) and for voters that are not the active controller (ControllerServer forwards).
//
// Finding the leader: a call goes to the last known active controller, else to the voters in
// turn. A NOT_CONTROLLER answer names the leader (LeaderHint), and the call is re-sent there at
// once; no leader known, or a voter that does not answer, means a short backoff (by default
// 50 ms doubling to 250 ms) and the next voter. A call gives up after `request_timeout_ms` with
// REQUEST_TIMED_OUT (or the last NETWORK_EXCEPTION).
//
// Retrying after a lost answer (the connection broke after the request was sent) may apply a
// change twice from the caller's point of view: a retried CreateTopics can then answer
// TOPIC_ALREADY_EXISTS for the topic it just created -- Kafka clients see the same. Heartbeats,
// registrations (same incarnation) and AlterPartition (compare-and-set) are safe to repeat.
//
// Threading: methods may be called from any thread; callbacks run on a gRPC or timer thread owned
// by this object, exactly once (also at shutdown, with NOT_CONTROLLER), and must not block.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "common/clock.h"
#include "controller/controller_api.h"
#include "controller/quorum/options.h"
#include "controller/quorum_admin.h"

namespace ferry::controller {

class RemoteControllerApi final : public ControllerApi {
 public:
  struct Options {
    int64_t request_timeout_ms = 30000;  // whole call, retries included
    int64_t attempt_timeout_ms = 10000;  // one gRPC call
    int64_t min_backoff_ms = 50;         // wait before retrying when no leader is known
    int64_t max_backoff_ms = 250;        // the wait doubles up to this (a controller election
                                         // takes about a second: find the new one soon)
    Clock* clock = nullptr;              // deadlines; nullptr = SystemClock (must outlive us)
  };
  RemoteControllerApi(std::vector<VoterAddress> voters, Options options);
  explicit RemoteControllerApi(std::vector<VoterAddress> voters)
      : RemoteControllerApi(std::move(voters), Options{}) {}
  ~RemoteControllerApi() override;

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

  void describe_quorum(Callback<Result<QuorumDescription>> done);

  // Fails calls in flight (NOT_CONTROLLER) and waits for their callbacks. Idempotent.
  void shutdown();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace ferry::controller
