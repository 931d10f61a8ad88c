// The command side of the metadata layer: validates a broker request against the latest image
// and turns it into metadata records plus the reply, or into a Kafka error with Kafka's message.
//
// Pure: the image, the request, the controller's static defaults, `now_ms` and a Random are
// the only inputs; nothing is applied here. The active controller (controller/quorum/) runs a
// command against its speculative image (committed state + its own proposals in flight), then
// proposes the records as one Raft entry and delivers the reply once that entry is committed
// and applied, stamping `committed_offset` on it. An empty record list means "reply now".
//
// Kafka's behaviour and wording are followed (ReplicationControlManager, ClusterControlManager,
// ConfigurationControlManager), e.g.
//   CreateTopics      TOPIC_ALREADY_EXISTS "Topic 'x' already exists."
//                     INVALID_REPLICATION_FACTOR "Unable to replicate the partition 3 time(s):
//                     The target replication factor of 3 cannot be reached because only 2
//                     broker(s) are registered."
//   CreatePartitions  INVALID_PARTITIONS "Topic currently has 3 partitions, which is higher than
//                     the requested 2."
// Batches of requests are validated in order and each later item sees the earlier ones (two
// topics of one request cannot collide, a duplicate name is INVALID_REQUEST for both).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "common/config.h"
#include "common/random.h"
#include "controller/controller_api.h"
#include "controller/metadata/image.h"
#include "controller/metadata/records.h"

namespace ferry::controller::metadata {

// The controller's static configuration the commands depend on.
struct CommandConfig {
  int32_t num_partitions = 1;
  int16_t default_replication_factor = 1;
  bool unclean_leader_election = false;
  bool delete_topic_enable = true;
  int64_t broker_session_timeout_ms = 9000;
  // broker.liveness.probe.after.ms: probe a broker this long without a heartbeat; 0: never.
  int64_t broker_probe_after_ms = 0;
  int32_t producer_id_block_size = 1000;
  // Upper bound on partitions one request may create (a Raft entry must stay reasonable).
  int32_t max_partitions_per_request = 100000;

  static CommandConfig from(const config::BrokerConfig& config);
};

template <typename T>
struct Planned {
  Records records;  // one Raft entry; empty: nothing to propose, reply at once
  T reply;
};

// ---- Topics (topic_commands.cc) ---------------------------------------------------------------

Planned<std::vector<controller::CreateTopicResult>> plan_create_topics(
    const MetadataImage& image, const std::vector<controller::CreateTopicSpec>& topics,
    bool validate_only, const CommandConfig& config, Random& random);

Planned<std::vector<controller::DeleteTopicResult>> plan_delete_topics(
    const MetadataImage& image, const std::vector<controller::DeleteTopicSpec>& topics,
    const CommandConfig& config);

Planned<std::vector<controller::CreatePartitionsResult>> plan_create_partitions(
    const MetadataImage& image, const std::vector<controller::CreatePartitionsSpec>& topics,
    bool validate_only, const CommandConfig& config, Random& random);

// ---- Configs (config_commands.cc) -------------------------------------------------------------

Planned<std::vector<controller::AlterConfigsResult>> plan_alter_configs(
    const MetadataImage& image, const std::vector<controller::AlterConfigsSpec>& resources,
    bool validate_only);

// ---- Brokers and partitions (broker_commands.cc) ----------------------------------------------

// Broker sessions, kept by the active controller only (in memory, like Kafka's
// BrokerHeartbeatManager). A controller that becomes active calls reset(): every registered
// broker gets a fresh lease, so a controller failover never fences healthy brokers.
class BrokerSessions {
 public:
  explicit BrokerSessions(int64_t session_timeout_ms) : session_timeout_ms_(session_timeout_ms) {}

  void reset(const MetadataImage& image, int64_t now_ms);
  void touch(NodeId broker, int64_t now_ms) {
    last_contact_ms_[broker] = now_ms;
    gone_.erase(broker);
  }
  void remove(NodeId broker) {
    last_contact_ms_.erase(broker);
    gone_.erase(broker);
  }
  // The broker has heartbeated (or registered) within the session timeout and has not been
  // proven gone since.
  bool has_valid_session(NodeId broker, int64_t now_ms) const;
  // An unfenced broker of `image` whose session has expired or who was proven gone, if any
  // (lowest id first).
  std::optional<NodeId> first_expired(const MetadataImage& image, int64_t now_ms) const;
  int64_t session_timeout_ms() const { return session_timeout_ms_; }

  // Early fencing of dead processes (QuorumController, "Liveness probes"). quiet(): the
  // unfenced brokers, not yet proven gone, that have not been heard from for `quiet_ms`: the
  // controller probes them. mark_gone(): a probe started at `probe_started_ms` found nothing
  // listening on any of the broker's endpoints; unless the broker has been heard from since then
  // (a heartbeat that raced the probe), its session ends now.
  std::vector<NodeId> quiet(const MetadataImage& image, int64_t now_ms, int64_t quiet_ms) const;
  void mark_gone(NodeId broker, int64_t probe_started_ms);
  bool proven_gone(NodeId broker) const { return gone_.contains(broker); }

 private:
  int64_t session_timeout_ms_;
  std::map<NodeId, int64_t> last_contact_ms_;
  std::set<NodeId> gone_;
};

// Registration: a new broker epoch (= `record_offset`, the Raft index the record will get, as
// in Kafka) for a new incarnation, the existing epoch for a repeated one. The broker starts
// fenced. DUPLICATE_BROKER_REGISTRATION while another incarnation holds a valid session.
Planned<controller::BrokerRegistrationReply> plan_register_broker(
    const MetadataImage& image, const controller::BrokerRegistrationRequest& request,
    LogIndex record_offset, const CommandConfig& config, BrokerSessions& sessions, int64_t now_ms);

// Heartbeat: renews the lease; unfences a fenced broker once it has caught up with the
// metadata log (its image includes its own registration) unless it wants to stay fenced;
// fences it on want_fence; on want_shutdown moves its leaderships and ISR memberships away and
// fences it (controlled shutdown), replying should_shutdown. STALE_BROKER_EPOCH /
// BROKER_ID_NOT_REGISTERED for a broker the controller does not know in that epoch.
Planned<controller::BrokerHeartbeatReply> plan_broker_heartbeat(
    const MetadataImage& image, const controller::BrokerHeartbeatRequest& request,
    const CommandConfig& config, BrokerSessions& sessions, int64_t now_ms);

// Fences `broker` (session expired): leadership moves to another usable ISR member (unclean
// only where enabled), the broker leaves every ISR it is not the last member of.
Records plan_fence_broker(const MetadataImage& image, NodeId broker, const CommandConfig& config);

// AlterPartition (ISR change from a partition leader) with Kafka's compare-and-set checks:
// broker epoch (STALE_BROKER_EPOCH), leader epoch (FENCED_LEADER_EPOCH, or NOT_CONTROLLER when
// the request is *newer* than this controller), leadership (INVALID_REQUEST), partition epoch
// (INVALID_UPDATE_VERSION), ISR shape (INVALID_REQUEST) and ISR members that are not usable
// (INELIGIBLE_REPLICA).
Planned<controller::AlterPartitionReply> plan_alter_partition(
    const MetadataImage& image, const controller::AlterPartitionRequest& request);

// A block of config.producer_id_block_size ids from image.next_producer_id.
Planned<controller::AllocateProducerIdsReply> plan_allocate_producer_ids(
    const MetadataImage& image, NodeId broker, BrokerEpoch epoch, const CommandConfig& config);

}  // namespace ferry::controller::metadata
