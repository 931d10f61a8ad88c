// What a broker asks of the controller quorum, and how it follows the cluster metadata.
//
// The broker (broker/) talks only to these two interfaces; implementations live in controller/:
// an in-process one when this process is also a voter (process.roles=broker,controller), which
// proposes directly when the local voter is the active controller and forwards over gRPC
// otherwise, and a remote one for pure brokers. Plain C++: no gRPC/protobuf/RocksDB/Asio here.
//
// Threading: every method may be called from any thread. Callbacks run on a controller-owned
// thread, exactly once, and must not block; brokers post the work they trigger to their own
// executors. A callback's results are final: the change is committed in the metadata log (or
// rejected) and, for changes, `committed_offset` is the metadata log offset that holds it, so a
// broker can wait until its own image has caught up to that offset before answering a client.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/strong_types.h"
#include "common/uuid.h"
#include "controller/metadata/image.h"

namespace ferry::controller {

template <typename T>
using Callback = std::function<void(T)>;

// ---- Topics ---------------------------------------------------------------------------------

struct CreateTopicSpec {
  std::string name;
  int32_t num_partitions = -1;      // -1: the cluster's num.partitions
  int16_t replication_factor = -1;  // -1: default.replication.factor
  // Explicit replica assignment (partition -> replicas); counts must then be -1.
  std::map<int32_t, std::vector<NodeId>> assignments;
  // Topic config overrides (topic keys); a null value is INVALID_CONFIG as in Kafka.
  std::vector<std::pair<std::string, std::optional<std::string>>> configs;
  // Set only by the broker itself for its internal topics (__consumer_offsets,
  // __transaction_state); clients may not create those names.
  bool internal = false;
};

struct CreateTopicResult {
  std::string name;
  ErrorCode error = ErrorCode::NONE;
  std::string message;  // Kafka's wording, e.g. "Topic 'x' already exists."
  Uuid topic_id;
  int32_t num_partitions = -1;
  int16_t replication_factor = -1;
  std::map<std::string, std::string> configs;  // the overrides as stored
  LogIndex committed_offset{0};
};

struct DeleteTopicSpec {
  std::optional<std::string> name;  // one of name / id
  std::optional<Uuid> id;
};

struct DeleteTopicResult {
  std::string name;
  Uuid topic_id;
  ErrorCode error = ErrorCode::NONE;
  std::string message;
  LogIndex committed_offset{0};
};

struct CreatePartitionsSpec {
  std::string name;
  int32_t count = 0;                                            // the new total partition count
  std::optional<std::vector<std::vector<NodeId>>> assignments;  // for the new partitions only
};

struct CreatePartitionsResult {
  std::string name;
  ErrorCode error = ErrorCode::NONE;
  std::string message;
  LogIndex committed_offset{0};
};

// ---- Configs --------------------------------------------------------------------------------

// Values are Kafka's ConfigResource.Type codes.
enum class ConfigResourceType : int8_t { kTopic = 2, kBroker = 4 };
// Values are Kafka's IncrementalAlterConfigs operation codes.
enum class ConfigOp : int8_t { kSet = 0, kDelete = 1, kAppend = 2, kSubtract = 3 };

struct ConfigChange {
  std::string key;
  ConfigOp op = ConfigOp::kSet;
  std::optional<std::string> value;
};

struct AlterConfigsSpec {
  ConfigResourceType type = ConfigResourceType::kTopic;
  std::string name;  // topic name; broker id as text, or "" for the cluster-wide default
  // true: IncrementalAlterConfigs (apply `changes`); false: AlterConfigs (replace the whole
  // set of overrides with the SET entries of `changes`).
  bool incremental = true;
  std::vector<ConfigChange> changes;
};

struct AlterConfigsResult {
  ConfigResourceType type = ConfigResourceType::kTopic;
  std::string name;
  ErrorCode error = ErrorCode::NONE;
  std::string message;
  LogIndex committed_offset{0};
};

// ---- Brokers --------------------------------------------------------------------------------

struct BrokerRegistrationRequest {
  NodeId broker_id{-1};
  Uuid incarnation_id;  // random per process start; a re-registration with the same
                        // incarnation is idempotent
  std::vector<metadata::Endpoint> endpoints;
  std::optional<std::string> rack;
};

struct BrokerRegistrationReply {
  ErrorCode error = ErrorCode::NONE;  // e.g. DUPLICATE_BROKER_REGISTRATION
  std::string message;
  BrokerEpoch broker_epoch{-1};
  LogIndex committed_offset{0};
};

struct BrokerHeartbeatRequest {
  NodeId broker_id{-1};
  BrokerEpoch broker_epoch{-1};
  LogIndex current_metadata_offset{0};  // how far this broker's image has caught up
  bool want_fence = false;              // the broker wants to be fenced (not ready)
  bool want_shutdown = false;           // controlled shutdown: move leadership away
  // Give up (REQUEST_TIMED_OUT) after this long, retries included; 0 = the API's default. The
  // broker passes what is left of its lease, so a heartbeat never outlives it.
  int64_t timeout_ms = 0;
};

struct BrokerHeartbeatReply {
  ErrorCode error = ErrorCode::NONE;  // STALE_BROKER_EPOCH, BROKER_ID_NOT_REGISTERED, ...
  std::string message;
  bool is_caught_up = false;
  bool is_fenced = true;
  bool should_shutdown = false;
  // The metadata log offset that includes everything the controller knew when it answered: a
  // broker whose lease ran out leads again only once its image has reached it (so it has seen
  // any leadership the controller moved away meanwhile).
  LogIndex metadata_offset{0};
};

// ---- Partitions (ISR changes from leaders) ---------------------------------------------------

struct AlterPartitionRequest {
  NodeId broker_id{-1};  // the leader proposing the change
  BrokerEpoch broker_epoch{-1};
  Uuid topic_id;
  int32_t partition = 0;
  LeaderEpoch leader_epoch{-1};  // compare-and-set: must equal the current epochs
  PartitionEpoch partition_epoch{-1};
  std::vector<NodeId> new_isr;
  // KIP-903: each new_isr member's broker epoch as the leader saw it in that replica's fetches
  // (parallel to new_isr; -1 or absent = not checked). A member whose registration has another
  // epoch restarted since (possibly with less data): INELIGIBLE_REPLICA.
  std::vector<BrokerEpoch> new_isr_epochs;
};

struct AlterPartitionReply {
  ErrorCode error = ErrorCode::NONE;  // FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, ...
  std::string message;
  metadata::PartitionRegistration partition;  // the state after the change (or current state)
  LogIndex committed_offset{0};
};

// ---- Producer ids (InitProducerId) -------------------------------------------------------------

// A block of producer ids [first_producer_id, first_producer_id + count) handed to one broker
// (Kafka's AllocateProducerIds). Added by the controller engineer (additive).
struct AllocateProducerIdsReply {
  ErrorCode error = ErrorCode::NONE;  // STALE_BROKER_EPOCH, NOT_CONTROLLER, ...
  std::string message;
  int64_t first_producer_id = -1;
  int32_t count = 0;
  LogIndex committed_offset{0};
};

// ---- The interfaces ---------------------------------------------------------------------------

class ControllerApi {
 public:
  virtual ~ControllerApi() = default;

  virtual void create_topics(std::vector<CreateTopicSpec> topics, bool validate_only,
                             Callback<std::vector<CreateTopicResult>> done) = 0;
  virtual void delete_topics(std::vector<DeleteTopicSpec> topics,
                             Callback<std::vector<DeleteTopicResult>> done) = 0;
  virtual void create_partitions(std::vector<CreatePartitionsSpec> topics, bool validate_only,
                                 Callback<std::vector<CreatePartitionsResult>> done) = 0;
  virtual void alter_configs(std::vector<AlterConfigsSpec> resources, bool validate_only,
                             Callback<std::vector<AlterConfigsResult>> done) = 0;
  virtual void register_broker(BrokerRegistrationRequest request,
                               Callback<BrokerRegistrationReply> done) = 0;
  virtual void broker_heartbeat(BrokerHeartbeatRequest request,
                                Callback<BrokerHeartbeatReply> done) = 0;
  virtual void alter_partition(AlterPartitionRequest request,
                               Callback<AlterPartitionReply> done) = 0;

  // Added (additive, with a default so existing fakes still compile): a block of producer ids
  // for `broker_id` in its current `broker_epoch`. The controller implementations override it.
  virtual void allocate_producer_ids(NodeId broker_id, BrokerEpoch broker_epoch,
                                     Callback<AllocateProducerIdsReply> done) {
    (void)broker_id;
    (void)broker_epoch;
    AllocateProducerIdsReply reply;
    reply.error = ErrorCode::UNSUPPORTED_VERSION;
    reply.message = "producer id allocation is not supported by this ControllerApi";
    done(std::move(reply));
  }

  // The active controller's node id if known (Metadata's ControllerId), else kNoNode.
  virtual NodeId active_controller() const = 0;
};

// A broker's view of the metadata log (it follows the log as an observer).
class MetadataSource {
 public:
  virtual ~MetadataSource() = default;
  // The latest image; never null (an empty image before the first catch-up).
  virtual metadata::MetadataImagePtr image() const = 0;
  // `listener` is called with every newer image, in order, on a controller-owned thread.
  virtual void subscribe(std::function<void(const metadata::MetadataImagePtr&)> listener) = 0;
};

}  // namespace ferry::controller
