// The broker role of a ferryd process: what Kafka handlers reach through their context.
//
// It wires the metadata image (followed from the controller quorum), the controller API, the
// partitions this node hosts (PartitionManager), and the broker's own lifecycle:
//   start() -> register with the controller (new broker epoch) -> heartbeat every
//   broker.heartbeat.interval.ms -> unfenced once caught up with the metadata log.
//
// Threading: handlers call it from connection strands; metadata updates arrive on a
// controller thread and are applied on the executor. All public methods are thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/config.h"
#include "controller/controller_api.h"
#include "controller/metadata/image.h"

namespace ferry::net {
class Executor;
class TimerHandle;
}  // namespace ferry::net

namespace ferry::broker {

class PartitionManager;

struct ListenerAddress {
  std::string name;  // PLAINTEXT
  std::string host;
  int32_t port = 0;
};

// Parses "NAME://host:port" (host may be empty for all interfaces, or [v6]).
Result<ListenerAddress> parse_listener(std::string_view text);

class Broker {
 public:
  Broker(const config::BrokerConfig& config, controller::ControllerApi& controller,
         controller::MetadataSource& metadata, net::Executor& executor, Clock& clock);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Opens the partition logs under log.dirs and starts following metadata, registering and
  // heartbeating. `client_listeners` are the bound Kafka listeners (ports resolved), which are
  // advertised unless advertised.listeners says otherwise.
  Status start(std::vector<ListenerAddress> client_listeners);
  // Tells the controller (controlled shutdown: fenced, leaderships moved, so a restart registers
  // at once), stops heartbeating, closes partitions cleanly (clean-shutdown markers).
  // Idempotent.
  void shutdown();

  const config::BrokerConfig& config() const { return config_; }
  NodeId node_id() const { return node_id_; }
  controller::ControllerApi& controller() { return controller_; }
  net::Executor& executor() { return executor_; }
  Clock& clock() { return clock_; }
  PartitionManager& partitions() { return *partitions_; }
  // The client endpoints this broker registers (advertised.listeners, else the bound ones).
  const std::vector<metadata::Endpoint>& advertised_endpoints() const { return advertised_; }

  metadata::MetadataImagePtr image() const;
  // Calls `done(true)` (on the executor) once the local image includes `offset`, or
  // `done(false)` after `timeout_ms`.
  void wait_for_metadata(LogIndex offset, int64_t timeout_ms, std::function<void(bool)> done);

  // Whether the controller considers this broker live (registered and unfenced).
  bool is_registered() const;
  // Blocks until the controller has unfenced this broker with its image caught up (Kafka's
  // brokers serve clients only from then on), or `timeout_ms` passes. True when ready.
  bool wait_until_ready(int64_t timeout_ms);
  BrokerEpoch broker_epoch() const;

 private:
  struct MetadataWaiter;
  void on_image(const metadata::MetadataImagePtr& image);
  void register_with_controller();
  void schedule_heartbeat(int64_t delay_ms);
  void heartbeat();
  void announce_shutdown();
  void on_heartbeat_reply(const controller::BrokerHeartbeatReply& reply);

  const config::BrokerConfig& config_;
  controller::ControllerApi& controller_;
  controller::MetadataSource& metadata_;
  net::Executor& executor_;
  Clock& clock_;
  NodeId node_id_;
  Uuid incarnation_id_;
  std::unique_ptr<PartitionManager> partitions_;
  std::vector<metadata::Endpoint> advertised_;

  mutable std::mutex mutex_;
  metadata::MetadataImagePtr image_;
  std::vector<std::shared_ptr<MetadataWaiter>> metadata_waiters_;
  BrokerEpoch broker_epoch_{-1};
  bool registered_ = false;
  bool ready_ = false;
  std::condition_variable ready_cv_;
  bool stopping_ = false;
  std::shared_ptr<net::TimerHandle> heartbeat_timer_;
};

}  // namespace ferry::broker
