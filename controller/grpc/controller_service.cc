#include "controller/grpc/controller_service.h"

#include <random>

#include <fmt/format.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "common/random.h"
#include "controller/grpc/convert.h"
#include "controller/grpc/grpc_util.h"
#include "proto/controller.grpc.pb.h"

namespace ferry::controller {

namespace gc = grpc_convert;

namespace {

constexpr int64_t kMaxFetchWaitMs = 30000;
constexpr uint64_t kDefaultFetchBytes = 16 << 20;

class RaftServiceImpl final : public proto::RaftService::CallbackService {
 public:
  explicit RaftServiceImpl(QuorumController& c)
      : controller_(c), incarnation_(SeededRandom(std::random_device()()).next_u64() | 1) {}

  grpc::ServerUnaryReactor* Send(grpc::CallbackServerContext* context,
                                 const proto::RaftMessages* request,
                                 proto::RaftAck* response) override {
    std::vector<raft::Message> messages;
    messages.reserve(static_cast<size_t>(request->messages_size()));
    const NodeId self = controller_.options().node_id;
    for (const auto& m : request->messages()) {
      raft::Message message = gc::from_proto(m);
      if (message.to != self) {
        gc::set_error(response->mutable_error(), ErrorCode::INCONSISTENT_VOTER_SET,
                      fmt::format("message for node {} reached node {}", message.to, self));
        continue;
      }
      messages.push_back(std::move(message));
    }
    if (!messages.empty()) controller_.receive(std::move(messages));
    response->set_incarnation(incarnation_);
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* FetchLog(grpc::CallbackServerContext* context,
                                     const proto::FetchLogRequest*,
                                     proto::FetchLogResponse* response) override {
    auto* reactor = context->DefaultReactor();
    controller_.copy_log([this, reactor, response](Result<LogCopy> copy) {
      response->mutable_leader()->set_leader_id(controller_.active_controller().value());
      response->mutable_leader()->set_address(controller_.leader_address());
      if (!copy.ok()) {
        gc::set_error(response->mutable_error(), copy.code(), copy.error().message());
      } else {
        gc::to_proto(*copy, response);
      }
      reactor->Finish(grpc::Status::OK);
    });
    return reactor;
  }

 private:
  QuorumController& controller_;
  const uint64_t incarnation_;
};

class ControllerServiceImpl final : public proto::ControllerService::CallbackService {
 public:
  explicit ControllerServiceImpl(QuorumController& c) : controller_(c) {}

  template <typename Response>
  auto finisher(grpc::CallbackServerContext* context, Response* response) {
    auto* reactor = context->DefaultReactor();
    return std::pair{
        reactor, [this, reactor, response] {
          response->mutable_leader()->set_leader_id(controller_.active_controller().value());
          response->mutable_leader()->set_address(controller_.leader_address());
          reactor->Finish(grpc::Status::OK);
        }};
  }

  grpc::ServerUnaryReactor* CreateTopics(grpc::CallbackServerContext* context,
                                         const proto::CreateTopicsRequest* request,
                                         proto::CreateTopicsResponse* response) override {
    auto [reactor, finish] = finisher(context, response);
    controller_.create_topics(gc::from_proto(*request), request->validate_only(),
                              [response, finish](std::vector<CreateTopicResult> results) {
                                gc::to_proto(results, response);
                                finish();
                              });
    return reactor;
  }

  grpc::ServerUnaryReactor* DeleteTopics(grpc::CallbackServerContext* context,
                                         const proto::DeleteTopicsRequest* request,
                                         proto::DeleteTopicsResponse* response) override {
    auto [reactor, finish] = finisher(context, response);
    controller_.delete_topics(gc::from_proto(*request),
                              [response, finish](std::vector<DeleteTopicResult> results) {
                                gc::to_proto(results, response);
                                finish();
                              });
    return reactor;
  }

  grpc::ServerUnaryReactor* CreatePartitions(grpc::CallbackServerContext* context,
                                             const proto::CreatePartitionsRequest* request,
                                             proto::CreatePartitionsResponse* response) override {
    auto [reactor, finish] = finisher(context, response);
    controller_.create_partitions(gc::from_proto(*request), request->validate_only(),
                                  [response, finish](std::vector<CreatePartitionsResult> results) {
                                    gc::to_proto(results, response);
                                    finish();
                                  });
    return reactor;
  }

  grpc::ServerUnaryReactor* AlterConfigs(grpc::CallbackServerContext* context,
                                         const proto::AlterConfigsRequest* request,
                                         proto::AlterConfigsResponse* response) override {
    auto [reactor, finish] = finisher(context, response);
    controller_.alter_configs(gc::from_proto(*request), request->validate_only(),
                              [response, finish](std::vector<AlterConfigsResult> results) {
                                gc::to_proto(results, response);
                                finish();
                              });
    return reactor;
  }

  grpc::ServerUnaryReactor* RegisterBroker(grpc::CallbackServerContext* context,
                                           const proto::RegisterBrokerRequest* request,
                                           proto::RegisterBrokerResponse* response) override {
    auto [reactor, finish] = finisher(context, response);
    controller_.register_broker(gc::from_proto(*request),
                                [response, finish](BrokerRegistrationReply reply) {
                                  gc::to_proto(reply, response);
                                  finish();
                                });
    return reactor;
  }

  grpc::ServerUnaryReactor* BrokerHeartbeat(grpc::CallbackServerContext* context,
                                            const proto::BrokerHeartbeatRequest* request,
                                            proto::BrokerHeartbeatResponse* response) override {
    auto [reactor, finish] = finisher(context, response);
    controller_.broker_heartbeat(gc::from_proto(*request),
                                 [response, finish](BrokerHeartbeatReply reply) {
                                   gc::to_proto(reply, response);
                                   finish();
                                 });
    return reactor;
  }

  grpc::ServerUnaryReactor* AlterPartition(grpc::CallbackServerContext* context,
                                           const proto::AlterPartitionRequest* request,
                                           proto::AlterPartitionResponse* response) override {
    auto [reactor, finish] = finisher(context, response);
    controller_.alter_partition(gc::from_proto(*request),
                                [response, finish](AlterPartitionReply reply) {
                                  gc::to_proto(reply, response);
                                  finish();
                                });
    return reactor;
  }

  grpc::ServerUnaryReactor* AllocateProducerIds(
      grpc::CallbackServerContext* context, const proto::AllocateProducerIdsRequest* request,
      proto::AllocateProducerIdsResponse* response) override {
    auto [reactor, finish] = finisher(context, response);
    controller_.allocate_producer_ids(NodeId(request->broker_id()),
                                      BrokerEpoch(request->broker_epoch()),
                                      [response, finish](AllocateProducerIdsReply reply) {
                                        gc::to_proto(reply, response);
                                        finish();
                                      });
    return reactor;
  }

  grpc::ServerUnaryReactor* FetchMetadata(grpc::CallbackServerContext* context,
                                          const proto::FetchMetadataRequest* request,
                                          proto::FetchMetadataResponse* response) override {
    auto [reactor, finish] = finisher(context, response);
    const int64_t wait = std::clamp<int64_t>(request->max_wait_ms(), 0, kMaxFetchWaitMs);
    const uint64_t bytes =
        request->max_bytes() > 0 ? static_cast<uint64_t>(request->max_bytes()) : kDefaultFetchBytes;
    controller_.fetch_metadata(
        LogIndex(request->fetch_offset()), wait, bytes,
        [response, finish](MetadataFetch fetch) {
          gc::set_error(response->mutable_error(), fetch.error, fetch.message);
          if (fetch.snapshot &&
              !response->mutable_snapshot()->ParseFromArray(
                  fetch.snapshot->data(), static_cast<int>(fetch.snapshot->size()))) {
            gc::set_error(response->mutable_error(), ErrorCode::KAFKA_STORAGE_ERROR,
                          "the stored snapshot does not parse");
          }
          for (auto& [offset, batch] : fetch.entries) {
            auto* e = response->add_entries();
            e->set_offset(offset.value());
            e->set_batch(std::string(batch.begin(), batch.end()));
          }
          response->set_high_watermark(fetch.high_watermark.value());
          finish();
        },
        request->has_observer_id() ? NodeId(request->observer_id()) : kNoNode);
    return reactor;
  }

  grpc::ServerUnaryReactor* DescribeQuorum(grpc::CallbackServerContext* context,
                                           const proto::DescribeQuorumRequest*,
                                           proto::DescribeQuorumResponse* response) override {
    auto [reactor, finish] = finisher(context, response);
    controller_.describe_quorum([response, finish](Result<QuorumDescription> d) {
      if (d.ok()) {
        gc::to_proto(*d, response);
      } else {
        gc::set_error(response->mutable_error(), d.code(), d.error().message());
      }
      finish();
    });
    return reactor;
  }

 private:
  QuorumController& controller_;
};

}  // namespace

struct ControllerGrpcServer::Services {
  explicit Services(QuorumController& c) : raft(c), controller(c) {}
  RaftServiceImpl raft;
  ControllerServiceImpl controller;
};

Result<std::unique_ptr<ControllerGrpcServer>> ControllerGrpcServer::start(
    const std::string& host, int32_t port, QuorumController& controller) {
  std::unique_ptr<ControllerGrpcServer> server(new ControllerGrpcServer());
  server->services_ = std::make_unique<Services>(controller);
  grpc::ServerBuilder builder;
  configure_server(builder);
  const std::string address = fmt::format("{}:{}", host, port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &server->port_);
  builder.RegisterService(&server->services_->raft);
  builder.RegisterService(&server->services_->controller);
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return Error(ErrorCode::NETWORK_EXCEPTION,
                 fmt::format("cannot listen on the CONTROLLER listener {} (in use?)", address));
  }
  return server;
}

ControllerGrpcServer::~ControllerGrpcServer() {
  shutdown();
}

void ControllerGrpcServer::shutdown() {
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
  server_.reset();
}

}  // namespace ferry::controller
