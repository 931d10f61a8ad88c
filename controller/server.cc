// ControllerServer (the controller role of ferryd) and QuorumClient (pure brokers): wiring of
// the store, the quorum controller, the gRPC transport and server, and the ControllerApi the
// co-located broker uses (see server.h).
#include "controller/server.h"

#include <charconv>

#include <fmt/format.h>

#include "common/log.h"
#include "controller/grpc/bootstrap.h"
#include "controller/grpc/controller_service.h"
#include "controller/grpc/metadata_follower.h"
#include "controller/grpc/raft_transport.h"
#include "controller/grpc/remote_api.h"
#include "controller/local_api.h"
#include "controller/quorum/quorum_controller.h"

namespace ferry::controller {

namespace {

struct Listener {
  std::string host;
  int32_t port = 0;
};

// The CONTROLLER listener: the `listeners` entry whose name is in controller.listener.names.
Result<Listener> controller_listener(const config::BrokerConfig& config) {
  const auto names = config.get_list("controller.listener.names");
  for (const auto& entry : config.get_list("listeners")) {
    const size_t sep = entry.find("://");
    const size_t colon = entry.rfind(':');
    if (sep == std::string::npos || colon == std::string::npos || colon <= sep) continue;
    const std::string name = entry.substr(0, sep);
    if (std::find(names.begin(), names.end(), name) == names.end()) continue;
    std::string host = entry.substr(sep + 3, colon - sep - 3);
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    Listener l;
    l.host = host.empty() ? "0.0.0.0" : host;
    const std::string port = entry.substr(colon + 1);
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), l.port);
    if (ec != std::errc() || ptr != port.data() + port.size() || l.port < 0 || l.port > 65535) {
      return Error(ErrorCode::INVALID_CONFIG, fmt::format("listener '{}' has a bad port", entry));
    }
    return l;
  }
  return Error(ErrorCode::INVALID_CONFIG,
               "no entry of listeners is named in controller.listener.names (expected e.g. "
               "CONTROLLER://127.0.0.1:9093)");
}

class ControllerServerImpl final : public ControllerServer {
 public:
  explicit ControllerServerImpl(const QuorumOptions& options)
      : transport_(options.node_id, options.voters, options.election_timeout_ms),
        remote_(options.voters) {}
  ~ControllerServerImpl() override { shutdown(); }

  Status start(QuorumOptions options, const Listener& listener) {
    FERRY_ASSIGN_OR_RETURN(auto store, MetadataStore::open(options.metadata_dir, options.node_id));
    FERRY_TRY(bootstrap_empty_voter(*store, options, 2 * options.election_timeout_ms));
    controller_ = std::make_unique<QuorumController>(std::move(options), std::move(store),
                                                     transport_, SystemClock::instance());
    transport_.set_controller(controller_.get());
    FERRY_TRY(controller_->start());
    auto server = ControllerGrpcServer::start(listener.host, listener.port, *controller_);
    if (!server.ok()) {
      controller_->stop(false);
      return server.error();
    }
    grpc_ = std::move(server).value();
    api_ = std::make_unique<LocalControllerApi>(*controller_, remote_);
    return ok_status();
  }

  ControllerApi& api() override { return *api_; }
  MetadataSource& metadata() override { return *controller_; }

  void shutdown() override {
    if (done_.exchange(true)) return;
    if (api_) api_->stop_forwarding();
    if (controller_) controller_->stop(/*transfer=*/true);
    if (grpc_) grpc_->shutdown();
    remote_.shutdown();
    transport_.shutdown();
    logger("controller")->info("controller role stopped");
  }

 private:
  GrpcRaftTransport transport_;
  RemoteControllerApi remote_;
  std::unique_ptr<QuorumController> controller_;
  std::unique_ptr<ControllerGrpcServer> grpc_;
  std::unique_ptr<LocalControllerApi> api_;
  std::atomic<bool> done_{false};
};

class QuorumClientImpl final : public QuorumClient {
 public:
  QuorumClientImpl(const std::vector<VoterAddress>& voters, NodeId node_id)
      : remote_(voters), follower_(voters, node_id) {
    follower_.start();
  }
  ~QuorumClientImpl() override { shutdown(); }
  ControllerApi& api() override { return remote_; }
  MetadataSource& metadata() override { return follower_; }
  void shutdown() override {
    if (done_.exchange(true)) return;
    follower_.stop();
    remote_.shutdown();
  }

 private:
  RemoteControllerApi remote_;
  MetadataFollower follower_;
  std::atomic<bool> done_{false};
};

}  // namespace

Result<std::unique_ptr<ControllerServer>> ControllerServer::start(
    const config::BrokerConfig& config) {
  FERRY_ASSIGN_OR_RETURN(QuorumOptions options, QuorumOptions::from(config, true));
  FERRY_ASSIGN_OR_RETURN(Listener listener, controller_listener(config));
  auto server = std::make_unique<ControllerServerImpl>(options);
  FERRY_TRY(server->start(std::move(options), listener));
  return std::unique_ptr<ControllerServer>(std::move(server));
}

Result<std::unique_ptr<QuorumClient>> QuorumClient::connect(const config::BrokerConfig& config) {
  FERRY_ASSIGN_OR_RETURN(auto voters, parse_voters(config.get_list("controller.quorum.voters")));
  return std::unique_ptr<QuorumClient>(
      std::make_unique<QuorumClientImpl>(voters, NodeId(config.get_int("node.id"))));
}

}  // namespace ferry::controller
