// gRPC plumbing shared by the controller's servers and clients. Controller-internal.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/status.h>

#include "common/error.h"

namespace ferry::controller {

// Snapshots travel in one message: allow large ones (the default is 4 MiB).
inline constexpr int kMaxGrpcMessageBytes = 512 << 20;

// A channel to a voter at host:port. Reconnection backs off from 50 ms to at most 500 ms, so a
// restarted voter is reachable again within a heartbeat or two (gRPC's default backoff grows to
// two minutes, far longer than an election timeout).
std::shared_ptr<grpc::Channel> make_channel(const std::string& address);

// Server options every controller gRPC server uses: message limits, and no SO_REUSEPORT (two
// processes must not silently share a CONTROLLER port).
void configure_server(grpc::ServerBuilder& builder);

// NETWORK_EXCEPTION / REQUEST_TIMED_OUT for a failed call, naming the peer.
Error grpc_error(const grpc::Status& status, const std::string& peer);

}  // namespace ferry::controller
