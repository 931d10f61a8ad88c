// The partition replicas this broker hosts, kept in line with the cluster assignment (which
// `broker/` builds from the metadata image): a partition whose replica set includes this node
// gets a log (created with the topic id and the topic's effective config) and follows its
// assignment (leader / follower / offline); deleted topics' logs are removed; topic config
// changes reach the logs.
//
// It also runs the replication machinery around the partitions:
//  * one ReplicaFetcher per leader broker this broker follows partitions from (fetcher.h);
//  * the ISR check: every kIsrCheckIntervalMs each led partition may propose one AlterPartition
//    (shrink after replica.lag.time.max.ms, expand once a follower caught up) through the
//    IsrChannel;
//  * the broker lease (set_lease): partitions stop leading while it is invalid;
// and the broker's background storage work: group-commit flushing (the LogManager's flusher
// thread), the periodic flush of data nobody waits on (log.flush.interval.ms), retention
// (log.retention.check.interval.ms) and checkpoints (recovery point, log start, high watermark).
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
#include "common/executor.h"
#include "replication/assignment.h"
#include "replication/fetcher.h"
#include "replication/leader_state.h"
#include "replication/transport.h"
#include "storage/log_config.h"

namespace ferry::storage {
class LogManager;
class PartitionLog;
}  // namespace ferry::storage

namespace ferry::replication {

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

// What the replica manager needs from the broker around it.
struct ReplicaManagerDeps {
  ReplicaFetchClientFactory& fetch_clients;
  IsrChannel& isr_channel;
  // This broker's current broker epoch (sent in replica fetches, KIP-903); -1 before it
  // registered.
  std::function<BrokerEpoch()> broker_epoch;
  // Threads that fsync what appends ask for (group commit). 0: none; the owner calls
  // flush_queued() itself (deterministic simulation).
  int flusher_threads = 1;
};

class ReplicaManager {
 public:
  static constexpr int64_t kIsrCheckIntervalMs = 200;

  ReplicaManager(const config::BrokerConfig& config, NodeId self, Executor& executor, Clock& clock,
                 ReplicaManagerDeps deps);
  ~ReplicaManager();

  // Opens (and recovers) every partition log under log.dirs; starts background work.
  Status open();
  // Brings hosted partitions and fetchers in line with `assignment` (see above). Views older
  // than the last applied one are ignored.
  void apply(const ClusterAssignment& assignment);
  // Logs of topics absent from the assignment are removed only once the broker knows its view is
  // complete (caught up with the metadata log); until then they are kept.
  void set_metadata_caught_up(bool caught_up);
  // The broker lease (see partition.h, LEASE).
  void set_lease(bool valid);
  // Stops fetchers and background work and closes every log cleanly. Idempotent.
  void shutdown();

  std::shared_ptr<Partition> get(std::string_view topic, int32_t partition) const;
  std::shared_ptr<Partition> get(const Uuid& topic_id, int32_t partition) const;
  std::vector<std::shared_ptr<Partition>> all() const;
  // Asks for an fsync of `partition` soon (group commit).
  void request_flush(const std::shared_ptr<Partition>& partition);
  // With flusher_threads = 0: runs the queued fsyncs now; returns how many logs it synced.
  size_t flush_queued();
  AckMode ack_mode() const { return ack_mode_; }

  std::vector<LogDirDescription> describe_log_dirs() const;

  // The storage config of a topic: broker log.* values overridden by the topic's configs.
  static Result<storage::LogConfig> log_config_for(
      const config::BrokerConfig& broker, const std::map<std::string, std::string>& overrides);
  // The topic's min.insync.replicas (its override, else the broker's).
  static int32_t min_insync_replicas_for(const config::BrokerConfig& broker,
                                         const std::map<std::string, std::string>& overrides);

 private:
  using Key = std::pair<std::string, int32_t>;
  void apply_partition(const HostedPartition& hosted, const storage::LogConfig* config,
                       bool configs_changed);
  void route(const std::shared_ptr<Partition>& partition, Role role);
  void remove_absent(const ClusterAssignment& assignment);
  void update_fetcher_endpoints(const ClusterAssignment& assignment);
  void schedule_background();
  void background_round();
  void schedule_isr_check();
  void isr_check();
  void send_isr_change(const std::shared_ptr<Partition>& partition, const IsrProposal& proposal);
  void flush_logs(std::vector<std::shared_ptr<storage::PartitionLog>> logs,
                  std::function<void()> done);
  Result<std::shared_ptr<storage::PartitionLog>> log_for(const HostedPartition& hosted,
                                                         const storage::LogConfig& config);

  const config::BrokerConfig& config_;
  const NodeId self_;
  Executor& executor_;
  Clock& clock_;
  ReplicaManagerDeps deps_;
  const AckMode ack_mode_;
  const FetcherOptions fetcher_options_;
  std::vector<std::filesystem::path> dirs_;
  std::unique_ptr<storage::LogManager> logs_;

  mutable std::mutex mutex_;  // guards the fields below
  std::map<Key, std::shared_ptr<Partition>> partitions_;
  std::map<NodeId, std::shared_ptr<ReplicaFetcher>> fetchers_;
  std::map<NodeId, BrokerEndpoint> live_brokers_;
  bool caught_up_ = false;
  bool stopped_ = false;
  bool lease_valid_ = true;
  int64_t last_retention_ms_ = 0;
  int64_t last_checkpoint_ms_ = 0;
  std::shared_ptr<TimerHandle> background_timer_;
  std::shared_ptr<TimerHandle> isr_timer_;

  std::mutex apply_mutex_;  // serialises apply() and shutdown(); taken before mutex_
  std::map<std::string, std::map<std::string, std::string>> applied_configs_;
  std::optional<ClusterAssignment> last_assignment_;
};

}  // namespace ferry::replication
