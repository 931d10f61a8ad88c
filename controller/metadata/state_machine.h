// The metadata state machine: applies metadata record batches (proto/metadata.proto) to a
// working image and publishes immutable MetadataImage versions (image.h).
//
// Pure: no I/O, no clock, no randomness. Applying the same batches at the same offsets to the
// same starting image always yields the same image, which is what lets
//   * every voter and every observing broker compute identical images from the log,
//   * the active controller apply its own proposals speculatively before they commit (its
//     speculative image equals the committed one once the entries commit), and
//   * a restart replay the entries after the persisted applied offset.
//
// Record semantics (Kafka's, see proto/metadata.proto):
//   RegisterBroker   replaces the broker's registration (new epoch, endpoints, rack, fenced).
//   BrokerChange     fence/unfence/controlled shutdown; ignored when its epoch is stale.
//   Topic            adds a topic (name and id must be new).
//   Partition        sets partition `partition_id` (= the current count to add one).
//   PartitionChange  changes leader/ISR/replicas; partition_epoch + 1, and leader_epoch + 1 when
//                    the leader changes.
//   RemoveTopic      drops the topic with its partitions and config overrides.
//   Config           sets/deletes one dynamic config key (topic, cluster default, or broker).
//   ProducerIds      moves next_producer_id forward (never back).
//   ClusterId        sets the cluster id once; later ones are ignored.
// A record that contradicts the image (unknown topic, duplicate name, non-contiguous partition)
// is an error: it cannot come from a correct controller, so callers treat it as fatal.
//
// Copy-on-write: topics are shared between published images; the builder copies a topic the
// first time a batch changes it after a publish, so publishing costs O(#topics) pointer copies,
// not a deep copy.
//
// Thread-safety: none (one owner). Published images are immutable and safe to share.
#pragma once

#include <map>
#include <memory>
#include <set>

#include "common/error.h"
#include "controller/metadata/image.h"
#include "controller/metadata/records.h"

namespace ferry::controller::metadata {

class MetadataBuilder {
 public:
  MetadataBuilder() = default;
  explicit MetadataBuilder(const MetadataImage& base) : image_(base) {}
  // Copying would let two builders share topics each thinks it owns; fork() instead.
  MetadataBuilder(const MetadataBuilder&) = delete;
  MetadataBuilder& operator=(const MetadataBuilder&) = delete;
  MetadataBuilder(MetadataBuilder&&) = default;
  MetadataBuilder& operator=(MetadataBuilder&&) = default;

  // An independent builder starting from the current image (e.g. the active controller's
  // speculative state); both may go on applying without affecting each other.
  MetadataBuilder fork() {
    owned_topics_.clear();
    return MetadataBuilder(image_);
  }

  // Applies the records of the log entry at `offset` (> current().offset) in order, then sets
  // the image offset to `offset`. On error the builder may hold a partly applied batch.
  Status apply(LogIndex offset, const proto::MetadataRecordBatch& batch);
  Status apply(LogIndex offset, const Records& records);
  // An entry without records (a Raft leader no-op): only the offset moves.
  void advance_to(LogIndex offset);

  const MetadataImage& current() const { return image_; }
  // An immutable copy of the current image; later applies do not affect it.
  MetadataImagePtr publish();

  // What changed since the last take_changes() (for persisting the image incrementally).
  struct Changes {
    std::set<Uuid> topics;     // added, changed or removed (absent from current() = removed)
    std::set<NodeId> brokers;  // registrations or per-broker configs changed
    bool cluster = false;      // cluster id, cluster configs or next producer id changed
    bool empty() const { return topics.empty() && brokers.empty() && !cluster; }
  };
  Changes take_changes() { return std::exchange(changes_, {}); }

 private:
  Status apply_record(LogIndex offset, const proto::MetadataRecord& record);
  Status apply_register_broker(const proto::RegisterBrokerRecord& r);
  Status apply_broker_change(const proto::BrokerRegistrationChangeRecord& r);
  Status apply_topic(const proto::TopicRecord& r);
  Status apply_partition(const proto::PartitionRecord& r);
  Status apply_partition_change(const proto::PartitionChangeRecord& r);
  Status apply_remove_topic(const proto::RemoveTopicRecord& r);
  Status apply_config(const proto::ConfigRecord& r);
  Status apply_producer_ids(const proto::ProducerIdsRecord& r);
  Result<TopicImage*> mutable_topic(const std::string& id_bytes);
  TopicImage& mutable_topic(const Uuid& id);

  MetadataImage image_;
  // Topics this builder copied since the last publish(): safe to change in place.
  std::map<Uuid, std::shared_ptr<TopicImage>> owned_topics_;
  Changes changes_;
};

// ---- Snapshots and persistence ------------------------------------------------------------------

// Records that rebuild `image` from an empty one (brokers, cluster state, then each topic with
// its configs and partitions), as Kafka's metadata snapshots do.
Records image_to_records(const MetadataImage& image);
// The records of one entity, for incremental persistence.
Records topic_to_records(const TopicImage& topic);
proto::MetadataRecord broker_to_record(const BrokerRegistration& broker);
Records broker_configs_to_records(NodeId broker, const std::map<std::string, std::string>& cfg);
Records cluster_to_records(const MetadataImage& image);

proto::MetadataSnapshot make_snapshot(const MetadataImage& image);
// CORRUPT_MESSAGE when the snapshot's records do not rebuild a consistent image.
Result<MetadataImage> image_from_snapshot(const proto::MetadataSnapshot& snapshot);

}  // namespace ferry::controller::metadata
