// LogManager: the PartitionLogs of one broker, spread over one or more log directories
// (Kafka's `log.dirs`).
//
//   <log dir>/<topic>-<partition>/            a partition (partition_log.h)
//   <log dir>/<topic>-<partition>.<id>-delete/ a partition being deleted (Kafka's naming)
//
// Deletion survives a crash at any point: the directory is first renamed to its "-delete" name
// and the log dir fsynced (from then on it is no longer a partition), then removed; open_all()
// finishes any deletion it finds.
//
// No global state and no clock reads of its own: time comes from `now_ms` arguments and the
// injected Clock. The only threads are the optional flusher's (start_flusher), which run
// PartitionLog::flush() for partitions handed to request_flush() (group commit happens inside
// each log, so a flusher thread per disk is plenty), and the optional cleaners'
// (start_cleaners, one per log dir).
//
// Thread-safety: every method is thread-safe. open_all() runs before the others.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "storage/log_cleaner.h"
#include "storage/partition_log.h"

namespace ferry::storage {

class LogManager {
 public:
  // Config of a partition found on disk at open_all() (the broker looks up topic overrides).
  using ConfigFor = std::function<LogConfig(const TopicPartition&)>;

  LogManager(std::vector<std::filesystem::path> log_dirs, LogConfig default_config, Clock& clock);
  // Stops the flusher. Does not close the logs: call close_all() for a clean shutdown.
  ~LogManager();
  LogManager(const LogManager&) = delete;
  LogManager& operator=(const LogManager&) = delete;

  // Creates missing log dirs, finishes interrupted deletions, and opens (recovers) every
  // partition directory. A partition that fails to open is logged and reported in
  // failed_partitions(); the others open. Errors only for an unusable log dir.
  Status open_all(const ConfigFor& config_for = nullptr);
  // A directory inside a log dir that belongs to someone else (the controller's metadata store
  // of a combined node): open_all() skips it instead of warning about it.
  void add_foreign_dir(const std::filesystem::path& dir);
  const std::map<TopicPartition, RecoveryReport>& recovery_reports() const { return reports_; }
  std::map<TopicPartition, Error> failed_partitions() const;

  // Creates a partition in the log dir holding the fewest partitions. TOPIC_ALREADY_EXISTS
  // if it is already hosted.
  Result<std::shared_ptr<PartitionLog>> create(const TopicPartition& tp, std::string_view topic_id,
                                               const LogConfig& config);
  // nullptr if not hosted.
  std::shared_ptr<PartitionLog> get(const TopicPartition& tp) const;
  std::vector<TopicPartition> partitions() const;
  // Deletes the partition and its directory (see the top of this file). Readers holding
  // FileSlices keep their bytes. UNKNOWN_TOPIC_OR_PARTITION if not hosted.
  Status remove(const TopicPartition& tp);

  // Retention over every partition; returns the number of segments deleted. Failures of one
  // partition are logged and do not stop the others (the first error is returned at the end).
  Result<size_t> run_retention(int64_t now_ms);
  Status flush_all();
  // Recovery-point and log-start checkpoints of every partition (call periodically).
  Status checkpoint_all();
  // Stops the flusher, then closes every log cleanly (writing clean-shutdown markers).
  Status close_all();

  // Background flushing: `threads` threads run flush() for logs passed to request_flush().
  // A log already queued is not queued twice (its next flush covers every append so far).
  void start_flusher(int threads);
  void request_flush(const std::shared_ptr<PartitionLog>& log);
  void stop_flusher();
  // Runs the flushes request_flush() queued, on the calling thread; returns how many. For a
  // caller that starts no flusher threads and decides itself when the disk syncs (the
  // deterministic replication simulation).
  size_t flush_queued();

  // Background compaction: one LogCleaner thread per log dir, over that dir's partitions.
  // Stopped by stop_cleaners(), close_all() and the destructor.
  void start_cleaners(const CleanerOptions& options);
  void stop_cleaners();

 private:
  void flusher_loop();
  std::filesystem::path pick_dir_locked() const;
  bool is_foreign(const std::filesystem::path& dir) const;

  const std::vector<std::filesystem::path> log_dirs_;
  const LogConfig default_config_;
  Clock& clock_;
  std::vector<std::filesystem::path> foreign_dirs_;  // set before open_all()

  mutable std::mutex mu_;
  std::map<TopicPartition, std::shared_ptr<PartitionLog>> logs_;
  std::map<TopicPartition, RecoveryReport> reports_;
  std::map<TopicPartition, Error> failed_;
  uint64_t delete_counter_ = 0;

  std::mutex flush_mu_;
  std::condition_variable flush_cv_;
  std::deque<std::shared_ptr<PartitionLog>> flush_queue_;
  std::unordered_set<PartitionLog*> flush_queued_;
  bool flusher_stop_ = false;
  std::vector<std::thread> flushers_;

  std::mutex cleaners_mu_;
  std::vector<std::unique_ptr<LogCleaner>> cleaners_;
};

}  // namespace ferry::storage
