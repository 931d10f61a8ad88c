// The gRPC server of a voter: RaftService (messages from other voters) and ControllerService
// (brokers, observers, admin), both backed by the local QuorumController. Served on the
// CONTROLLER listener with gRPC's callback API: no handler blocks a thread; answers are sent
// from the controller's driver thread when the QuorumController calls back.
//
// Non-leaders answer ControllerService writes with NOT_CONTROLLER and a LeaderHint.
#pragma once

#include <memory>
#include <string>

#include "common/error.h"
#include "controller/quorum/quorum_controller.h"

namespace grpc {
class Server;
}

namespace ferry::controller {

class ControllerGrpcServer {
 public:
  // Binds host:port (port 0 picks a free one) and starts serving. NETWORK_EXCEPTION when the
  // address cannot be bound.
  static Result<std::unique_ptr<ControllerGrpcServer>> start(const std::string& host, int32_t port,
                                                             QuorumController& controller);
  ~ControllerGrpcServer();
  int32_t port() const { return port_; }
  // Stops accepting calls and waits (bounded) for handlers in flight. Idempotent.
  void shutdown();

 private:
  struct Services;
  ControllerGrpcServer() = default;

  std::unique_ptr<Services> services_;
  std::unique_ptr<grpc::Server> server_;
  int32_t port_ = 0;
};

}  // namespace ferry::controller
