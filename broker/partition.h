// One partition replica hosted by this broker: the driver around its storage::PartitionLog and
// its pure replication::LeaderState (ARCHITECTURE.md section 3).
//
// Produce path (leader): append() validates epochs and min.insync.replicas, appends (offsets
// and leader epoch stamped by storage), and returns at once; acks=all callers then
// wait_for_high_watermark(). In durable mode (log.flush.mode=fsync, the default) the high
// watermark moves only when the Flusher has fsynced the data (group commit), so an
// acknowledged acks=all batch survives power loss.
//
// Fetch path: read() never returns data at or beyond the high watermark; watchers registered
// with watch_high_watermark() fire once when it next advances (fetch long-poll).
//
// Threading: thread-safe. Callbacks (waiters, watchers) run on the Executor, never under the
// partition's lock.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "broker/net/executor.h"
#include "common/clock.h"
#include "common/uuid.h"
#include "controller/metadata/image.h"
#include "replication/partition_state.h"
#include "storage/partition_log.h"

namespace ferry::broker {

class Partition : public std::enable_shared_from_this<Partition> {
 public:
  Partition(std::string topic, int32_t index, Uuid topic_id,
            std::shared_ptr<storage::PartitionLog> log, NodeId self, replication::AckMode mode,
            net::Executor& executor, Clock& clock);

  const std::string& topic() const { return topic_; }
  int32_t index() const { return index_; }
  const Uuid& topic_id() const { return topic_id_; }
  storage::PartitionLog& log() { return *log_; }
  const std::shared_ptr<storage::PartitionLog>& log_ptr() const { return log_; }
  // "[orders-3 e=7]" for log lines.
  std::string log_prefix() const;

  // Applies the partition's registration from a metadata image: becomes leader (new epoch),
  // follower, or updates the ISR. Waiters of an earlier leadership fail with
  // NOT_LEADER_OR_FOLLOWER.
  void apply_registration(const metadata::PartitionRegistration& registration);
  // Stops serving (deleted or moved away): every waiter fails with NOT_LEADER_OR_FOLLOWER.
  void stop();

  bool is_leader() const;
  LeaderEpoch leader_epoch() const;
  NodeId leader() const;
  // NONE, or FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH when a client's epoch (not -1) differs
  // from ours, or NOT_LEADER_OR_FOLLOWER when we do not lead.
  ErrorCode check_leader(int32_t client_leader_epoch) const;

  struct Appended {
    storage::AppendResult result;
    Offset needed_end;  // the high watermark acks=all waits for (last offset + 1)
  };
  // Leader append of a produce request's batches. Errors: NOT_LEADER_OR_FOLLOWER,
  // NOT_ENOUGH_REPLICAS (acks=all and |ISR| < min_insync_replicas, before appending), and the
  // storage errors (CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, ...).
  Result<Appended> append(std::span<uint8_t> batches, int16_t acks, int32_t min_insync_replicas);
  // Calls `done` once the high watermark reaches `needed_end`: NONE, or
  // NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below `min_insync_replicas` meanwhile,
  // REQUEST_TIMED_OUT after `timeout_ms`, NOT_LEADER_OR_FOLLOWER if leadership was lost.
  void wait_for_high_watermark(Offset needed_end, int32_t min_insync_replicas, int64_t timeout_ms,
                               std::function<void(ErrorCode)> done);

  Offset high_watermark() const;
  Offset log_start_offset() const { return log_->log_start_offset(); }
  Offset log_end_offset() const { return log_->log_end_offset(); }
  // Reads whole batches from `offset`, bounded by the high watermark (see storage read()).
  Result<storage::ReadResult> read(Offset offset, uint64_t max_bytes) const;

  // Calls `fire` once (on the executor) when the high watermark next advances or leadership
  // changes. Returns an id for unwatch().
  uint64_t watch_high_watermark(std::function<void()> fire);
  void unwatch(uint64_t id);

  // The storage layer made data durable up to `durable_end` (Flusher / durable listener).
  void on_durable(Offset durable_end);
  // Whether data awaits an fsync that someone waits on (acks=all in durable mode).
  bool needs_flush() const;

 private:
  struct Waiter {
    std::function<void(ErrorCode)> done;
    int32_t min_insync_replicas;
    std::shared_ptr<net::TimerHandle> timer;
  };
  void on_high_watermark_advanced_locked(Offset hw, std::vector<std::function<void()>>& out);
  void fail_all_waiters_locked(ErrorCode code, std::vector<std::function<void()>>& out);
  void fire_watchers_locked(std::vector<std::function<void()>>& out);
  void run(std::vector<std::function<void()>> tasks);

  const std::string topic_;
  const int32_t index_;
  const Uuid topic_id_;
  const std::shared_ptr<storage::PartitionLog> log_;
  const NodeId self_;
  const replication::AckMode mode_;
  net::Executor& executor_;
  Clock& clock_;

  mutable std::mutex mutex_;
  metadata::PartitionRegistration registration_;
  std::optional<replication::LeaderState> leader_;
  Offset high_watermark_{0};  // kept when not leading (followers learn it from the leader)
  replication::WaiterQueue waiter_queue_;
  std::map<replication::WaiterQueue::Id, Waiter> waiters_;
  uint64_t next_watch_id_ = 1;
  std::map<uint64_t, std::function<void()>> watchers_;
  bool stopped_ = false;
};

}  // namespace ferry::broker
