// The partitions this broker hosts, kept in line with the metadata image: a partition whose
// replica set includes this node gets a log (created with the topic id and the topic's
// effective config) and follows its registration (leader / follower, ISR); deleted topics'
// logs are removed; topic config changes reach the logs.
//
// Also runs the broker's background storage work: group-commit flushing (the LogManager's
// flusher thread), the periodic flush of data nobody waits on (log.flush.interval.ms), retention
// (log.retention.check.interval.ms) and checkpoints.
//
// Threading: thread-safe; apply() calls are serialised internally.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/config.h"
#include "controller/metadata/image.h"
#include "replication/partition_state.h"
#include "storage/log_config.h"

namespace ferry::net {
class Executor;
class TimerHandle;
}  // namespace ferry::net

namespace ferry::storage {
class LogManager;
class PartitionLog;
}  // namespace ferry::storage

namespace ferry::broker {

class Partition;

struct LogDirDescription {
  std::string path;
  ErrorCode error = ErrorCode::NONE;
  int64_t total_bytes = -1;
  int64_t usable_bytes = -1;
  struct PartitionSize {
    std::string topic;
    int32_t partition;
    int64_t size_bytes;
    int64_t offset_lag;
  };
  std::vector<PartitionSize> partitions;
};

class PartitionManager {
 public:
  PartitionManager(const config::BrokerConfig& config, NodeId self, net::Executor& executor,
                   Clock& clock);
  ~PartitionManager();

  // Opens (and recovers) every partition log under log.dirs; starts background work.
  Status open();
  // Brings hosted partitions in line with `image` (see above).
  void apply(const metadata::MetadataImagePtr& image);
  // Logs of topics absent from the image are removed only once the broker knows its image is
  // complete (caught up with the metadata log); until then they are kept.
  void set_metadata_caught_up(bool caught_up);
  // Stops background work and closes every log cleanly. Idempotent.
  void shutdown();

  std::shared_ptr<Partition> get(std::string_view topic, int32_t partition) const;
  std::shared_ptr<Partition> get(const Uuid& topic_id, int32_t partition) const;
  // Asks for an fsync of `partition` soon (acks=all waiting in durable mode).
  void request_flush(const std::shared_ptr<Partition>& partition);
  replication::AckMode ack_mode() const { return ack_mode_; }

  std::vector<LogDirDescription> describe_log_dirs() const;

  // The storage config of a topic: broker log.* values overridden by the topic's configs.
  static Result<storage::LogConfig> log_config_for(
      const config::BrokerConfig& broker, const std::map<std::string, std::string>& overrides);

 private:
  using Key = std::pair<std::string, int32_t>;
  void apply_topic(const metadata::TopicImage& topic);
  void remove_absent(const metadata::MetadataImage& image);
  void schedule_background();
  void background_round();
  Result<std::shared_ptr<storage::PartitionLog>> log_for(const metadata::TopicImage& topic,
                                                         int32_t index,
                                                         const storage::LogConfig& config);

  const config::BrokerConfig& config_;
  const NodeId self_;
  net::Executor& executor_;
  Clock& clock_;
  const replication::AckMode ack_mode_;
  std::vector<std::filesystem::path> dirs_;
  std::unique_ptr<storage::LogManager> logs_;

  mutable std::mutex mutex_;
  std::mutex apply_mutex_;
  std::map<Key, std::shared_ptr<Partition>> partitions_;
  std::map<std::string, std::map<std::string, std::string>> applied_configs_;
  bool caught_up_ = false;
  bool stopped_ = false;
  int64_t last_retention_ms_ = 0;
  std::shared_ptr<net::TimerHandle> background_timer_;
  metadata::MetadataImagePtr last_image_;
};

}  // namespace ferry::broker
