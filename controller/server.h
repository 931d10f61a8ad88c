// The controller role of a ferryd process, and the client side for pure brokers.
//
// ControllerServer (process.roles contains "controller"): opens the metadata store (RocksDB
// under metadata.log.dir), runs this node's Raft voter of controller.quorum.voters, serves the
// internal gRPC API on the CONTROLLER listener, and offers the in-process ControllerApi /
// MetadataSource the co-located broker uses (proposing locally when this voter is the active
// controller, forwarding to the active controller otherwise).
//
// QuorumClient (process.roles=broker only): a ControllerApi / MetadataSource backed by gRPC to
// the voters (RemoteControllerApi, controller/grpc/), following the metadata log as an observer.
#pragma once

#include <memory>

#include "common/config.h"
#include "common/error.h"
#include "controller/controller_api.h"

namespace ferry::controller {

class ControllerServer {
 public:
  virtual ~ControllerServer() = default;
  // Starts everything; returns once the gRPC listener is bound (not once a leader is elected).
  static Result<std::unique_ptr<ControllerServer>> start(const config::BrokerConfig& config);

  virtual ControllerApi& api() = 0;
  virtual MetadataSource& metadata() = 0;
  // Graceful stop: hands leadership to another voter when this one leads, stops serving,
  // closes the store. Blocks until done. Idempotent.
  virtual void shutdown() = 0;
};

class QuorumClient {
 public:
  virtual ~QuorumClient() = default;
  static Result<std::unique_ptr<QuorumClient>> connect(const config::BrokerConfig& config);

  virtual ControllerApi& api() = 0;
  virtual MetadataSource& metadata() = 0;
  virtual void shutdown() = 0;
};

}  // namespace ferry::controller
