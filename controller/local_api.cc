#include "controller/local_api.h"

namespace ferry::controller {

namespace {

template <typename Reply>
bool not_controller(const Reply& reply) {
  return reply.error == ErrorCode::NOT_CONTROLLER;
}

template <typename Item>
bool not_controller(const std::vector<Item>& items) {
  for (const auto& item : items) {
    if (item.error == ErrorCode::NOT_CONTROLLER) return true;
  }
  return false;
}

}  // namespace

template <typename Reply, typename Local, typename Remote>
void LocalControllerApi::route(Local local, Remote remote, Callback<Reply> done) {
  local([this, remote = std::move(remote), done = std::move(done)](Reply reply) mutable {
    if (forwarding_ && not_controller(reply)) {
      remote(std::move(done));
    } else {
      done(std::move(reply));
    }
  });
}

void LocalControllerApi::create_topics(std::vector<CreateTopicSpec> topics, bool validate_only,
                                       Callback<std::vector<CreateTopicResult>> done) {
  route<std::vector<CreateTopicResult>>(
      [this, topics, validate_only](auto cb) { local_.create_topics(topics, validate_only, cb); },
      [this, topics, validate_only](auto cb) { remote_.create_topics(topics, validate_only, cb); },
      std::move(done));
}

void LocalControllerApi::delete_topics(std::vector<DeleteTopicSpec> topics,
                                       Callback<std::vector<DeleteTopicResult>> done) {
  route<std::vector<DeleteTopicResult>>(
      [this, topics](auto cb) { local_.delete_topics(topics, cb); },
      [this, topics](auto cb) { remote_.delete_topics(topics, cb); }, std::move(done));
}

void LocalControllerApi::create_partitions(std::vector<CreatePartitionsSpec> topics,
                                           bool validate_only,
                                           Callback<std::vector<CreatePartitionsResult>> done) {
  route<std::vector<CreatePartitionsResult>>(
      [this, topics, validate_only](auto cb) {
        local_.create_partitions(topics, validate_only, cb);
      },
      [this, topics, validate_only](auto cb) {
        remote_.create_partitions(topics, validate_only, cb);
      },
      std::move(done));
}

void LocalControllerApi::alter_configs(std::vector<AlterConfigsSpec> resources, bool validate_only,
                                       Callback<std::vector<AlterConfigsResult>> done) {
  route<std::vector<AlterConfigsResult>>(
      [this, resources, validate_only](auto cb) {
        local_.alter_configs(resources, validate_only, cb);
      },
      [this, resources, validate_only](auto cb) {
        remote_.alter_configs(resources, validate_only, cb);
      },
      std::move(done));
}

void LocalControllerApi::register_broker(BrokerRegistrationRequest request,
                                         Callback<BrokerRegistrationReply> done) {
  route<BrokerRegistrationReply>([this, request](auto cb) { local_.register_broker(request, cb); },
                                 [this, request](auto cb) { remote_.register_broker(request, cb); },
                                 std::move(done));
}

void LocalControllerApi::broker_heartbeat(BrokerHeartbeatRequest request,
                                          Callback<BrokerHeartbeatReply> done) {
  route<BrokerHeartbeatReply>([this, request](auto cb) { local_.broker_heartbeat(request, cb); },
                              [this, request](auto cb) { remote_.broker_heartbeat(request, cb); },
                              std::move(done));
}

void LocalControllerApi::alter_partition(AlterPartitionRequest request,
                                         Callback<AlterPartitionReply> done) {
  route<AlterPartitionReply>([this, request](auto cb) { local_.alter_partition(request, cb); },
                             [this, request](auto cb) { remote_.alter_partition(request, cb); },
                             std::move(done));
}

void LocalControllerApi::allocate_producer_ids(NodeId broker_id, BrokerEpoch broker_epoch,
                                               Callback<AllocateProducerIdsReply> done) {
  route<AllocateProducerIdsReply>(
      [this, broker_id, broker_epoch](auto cb) {
        local_.allocate_producer_ids(broker_id, broker_epoch, cb);
      },
      [this, broker_id, broker_epoch](auto cb) {
        remote_.allocate_producer_ids(broker_id, broker_epoch, cb);
      },
      std::move(done));
}

NodeId LocalControllerApi::active_controller() const {
  const NodeId local = local_.active_controller();
  return local != kNoNode ? local : remote_.active_controller();
}

}  // namespace ferry::controller
