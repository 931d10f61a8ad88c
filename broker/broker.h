// The broker role of a ferryd process: what Kafka handlers reach through their context.
//
// It wires the metadata image (followed from the controller quorum), the controller API, the
// replicas this node hosts (replication::ReplicaManager, fed the neutral ClusterAssignment built
// from each image), and the broker's own lifecycle:
//   start() -> register with the controller (new broker epoch) -> heartbeat every
//   broker.heartbeat.interval.ms -> unfenced once caught up with the metadata log.
//
// THE LEASE. The broker may lead partitions only while it holds a lease from the controller
// quorum: a heartbeat SENT at time t that the controller answered "not fenced" extends the lease
// to t + broker.session.timeout.ms (monotonic). The controller fences a broker only once that
// much time has passed since it RECEIVED the last heartbeat (>= t), so the lease always runs out
// here before a new leader can be elected elsewhere. While the lease is invalid, partitions
// answer NOT_LEADER_OR_FOLLOWER (replication/partition.h). A lost lease comes back only with a
// successful heartbeat whose answer's metadata offset this broker's image has reached, so it has
// seen any leadership moved away meanwhile. A new process starts without a lease.
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
#include "common/executor.h"
#include "controller/controller_api.h"
#include "controller/metadata/image.h"
#include "replication/transport.h"

namespace ferry::replication {
class ReplicaManager;
}

namespace ferry::broker {

class ControllerIsrChannel;
class GroupCoordinator;

struct ListenerAddress {
  std::string name;  // PLAINTEXT
  std::string host;
  int32_t port = 0;
};

// Parses "NAME://host:port" (host may be empty for all interfaces, or [v6]).
Result<ListenerAddress> parse_listener(std::string_view text);

class Broker {
 public:
  struct Options {
    // Group-commit flusher threads (replication::ReplicaManagerDeps::flusher_threads).
    int flusher_threads = 1;
  };
  // `fetch_clients` makes the connections followers fetch over (broker/replica_links.h).
  Broker(const config::BrokerConfig& config, controller::ControllerApi& controller,
         controller::MetadataSource& metadata, Executor& executor, Clock& clock,
         replication::ReplicaFetchClientFactory& fetch_clients, Options options);
  Broker(const config::BrokerConfig& config, controller::ControllerApi& controller,
         controller::MetadataSource& metadata, Executor& executor, Clock& clock,
         replication::ReplicaFetchClientFactory& fetch_clients)
      : Broker(config, controller, metadata, executor, clock, fetch_clients, Options{}) {}
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Opens the partition logs under log.dirs and starts following metadata, registering and
  // heartbeating. `client_listeners` are the bound Kafka listeners (ports resolved), which are
  // advertised unless advertised.listeners says otherwise.
  Status start(std::vector<ListenerAddress> client_listeners);
  // Controlled shutdown, the first step of a graceful stop (as in Kafka): the controller fences
  // this broker and moves its leaderships to other ISR members while the broker still answers
  // clients, who learn the new leaders from NOT_LEADER_OR_FOLLOWER and Metadata; parked acks=all
  // produces end as this broker stops leading. Returns once this broker's image includes the
  // change (or after a bounded wait when the controller cannot be reached). A restart then
  // registers at once. Idempotent.
  void controlled_shutdown();
  // Controlled shutdown if not done yet, then stops heartbeating and closes partitions cleanly
  // (clean-shutdown markers). Idempotent.
  void shutdown();

  const config::BrokerConfig& config() const { return config_; }
  NodeId node_id() const { return node_id_; }
  controller::ControllerApi& controller() { return controller_; }
  Executor& executor() { return executor_; }
  Clock& clock() { return clock_; }
  replication::ReplicaManager& partitions() { return *partitions_; }
  // The consumer-group coordinator of the __consumer_offsets partitions this broker leads.
  GroupCoordinator& groups() { return *groups_; }
  // The client endpoints this broker registers (advertised.listeners, else the bound ones).
  const std::vector<controller::metadata::Endpoint>& advertised_endpoints() const {
    return advertised_;
  }

  controller::metadata::MetadataImagePtr image() const;
  // Calls `done(true)` (on the executor) once the local image includes `offset`, or
  // `done(false)` after `timeout_ms`.
  void wait_for_metadata(LogIndex offset, int64_t timeout_ms, std::function<void(bool)> done);

  // Whether the controller considers this broker live (registered and unfenced).
  bool is_registered() const;
  // Blocks until the controller has unfenced this broker with its image caught up (Kafka's
  // brokers serve clients only from then on), or `timeout_ms` passes. True when ready.
  bool wait_until_ready(int64_t timeout_ms);
  BrokerEpoch broker_epoch() const;
  // Whether this broker holds its controller lease (see THE LEASE).
  bool has_lease() const;

 private:
  struct MetadataWaiter;
  void on_image(const controller::metadata::MetadataImagePtr& image);
  void register_with_controller();
  void schedule_heartbeat(int64_t delay_ms);
  void heartbeat();
  void on_heartbeat_reply(const controller::BrokerHeartbeatReply& reply, int64_t sent_ms);
  void update_lease_locked(int64_t now_ms);
  void apply_lease();
  void schedule_lease_check(int64_t delay_ms);

  const config::BrokerConfig& config_;
  controller::ControllerApi& controller_;
  controller::MetadataSource& metadata_;
  Executor& executor_;
  Clock& clock_;
  NodeId node_id_;
  Uuid incarnation_id_;
  std::unique_ptr<ControllerIsrChannel> isr_channel_;
  std::unique_ptr<replication::ReplicaManager> partitions_;
  std::unique_ptr<GroupCoordinator> groups_;
  std::vector<controller::metadata::Endpoint> advertised_;
  std::string inter_broker_listener_;

  mutable std::mutex mutex_;
  controller::metadata::MetadataImagePtr image_;
  std::vector<std::shared_ptr<MetadataWaiter>> metadata_waiters_;
  BrokerEpoch broker_epoch_{-1};
  bool registered_ = false;
  bool ready_ = false;
  std::condition_variable ready_cv_;
  bool stopping_ = false;
  bool shutdown_announced_ = false;
  std::shared_ptr<TimerHandle> heartbeat_timer_;
  // The lease: valid until lease_deadline_ms_ (monotonic) once the image reached
  // lease_metadata_offset_; lease_valid_ is what the partitions were last told.
  int64_t lease_deadline_ms_ = INT64_MIN;
  LogIndex lease_metadata_offset_{INT64_MAX};
  bool lease_valid_ = false;
  std::shared_ptr<TimerHandle> lease_timer_;
  std::mutex lease_apply_mutex_;  // serialises apply_lease()
};

}  // namespace ferry::broker
