// One partition replica hosted by this broker: the driver around its storage::PartitionLog and
// the pure cores (LeaderState while leading, FollowerState while following), ARCHITECTURE.md
// section 3.
//
// ROLES. apply_assignment() moves the replica between three roles as the metadata says:
//  * leader: `leader == self`. On a new leader epoch it records the epoch at its log end in the
//    epoch cache (persisted) BEFORE taking writes (KIP-279) and remembers that epoch start; the
//    HW starts from what it knew as a follower (replication-offset-checkpoint after a restart).
//    A leader-epoch bump that keeps this broker leader keeps the parked acks=all produces.
//  * follower: another broker leads. Parked produces fail with NOT_LEADER_OR_FOLLOWER; the
//    ReplicaManager hands the partition to the fetcher of the new leader, which calls
//    follower_position() / apply_leader_answer().
//  * offline: no leader (or the assignment no longer lists this broker as a replica).
//
// LEASE. set_lease(false) (the broker could not heartbeat the controller within
// broker.session.timeout.ms of the send time of its last successful heartbeat) makes a leader
// stop taking work: produces, consumer fetches and ListOffsets get NOT_LEADER_OR_FOLLOWER and no
// ISR change is proposed, so a broker cut off from the controller never appends (nor, with
// acks=1, acknowledges) a write that a newly elected leader will not have. Followers are still
// served and parked acks=all produces stay: the HW only passes what every ISR member holds, so
// completing them is safe, and a lease that lapses during a controller election (then comes
// back, same epoch) does not turn appended batches into NOT_LEADER_OR_FOLLOWER answers.
// set_lease(true) resumes.
//
// PRODUCE (leader): append() checks acks/min.insync.replicas (acks_policy.h) and appends
// (offsets and epoch stamped by storage); acks=all callers then wait_for_high_watermark().
//
// READS. Consumers read below the HW only (read()). Followers read up to the log end through
// read_for_follower(), which first checks their last fetched epoch for divergence (KIP-320) and
// then feeds their position (fetch offset, durable end, broker epoch) to the LeaderState.
//
// WATCHERS fire once (on the executor): HW watchers when the HW advances or the role changes;
// log-end watchers also when the log end grows (replica fetch long-polls).
//
// Threading: thread-safe. One mutex guards the role and its core; it is held across storage
// appends and truncations so the role cannot change under them. Callbacks (waiters, watchers)
// run on the Executor, never under the mutex.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/executor.h"
#include "common/uuid.h"
#include "replication/assignment.h"
#include "replication/follower_state.h"
#include "replication/leader_state.h"
#include "replication/waiter_queue.h"
#include "storage/partition_log.h"

namespace ferry::replication {

enum class Role { kOffline, kLeader, kFollower };

// The leader's answer to one partition of a replica fetch (the Fetch handler encodes it).
struct ReplicaRead {
  ErrorCode error = ErrorCode::NONE;
  Offset high_watermark{-1};
  Offset log_start{-1};
  Offset log_end{-1};
  std::optional<storage::EpochEndOffset> diverging;
  storage::FileSlice slice;  // empty when there is nothing (or an error / divergence)
};

// What the fetcher learns from apply_leader_answer().
struct FollowerOutcome {
  bool current = true;  // false: the answer was for an older leader/epoch and was dropped
  FollowerState::Step step = FollowerState::Step::kNothing;
  ErrorCode error = ErrorCode::NONE;
  bool appended = false;  // the log grew (durable mode: flush before the next fetch)
  Offset log_end{0};
};

class Partition : public std::enable_shared_from_this<Partition> {
 public:
  Partition(std::string topic, int32_t index, Uuid topic_id,
            std::shared_ptr<storage::PartitionLog> log, NodeId self, AckMode mode,
            Executor& executor, Clock& clock);

  const std::string& topic() const { return topic_; }
  int32_t index() const { return index_; }
  const Uuid& topic_id() const { return topic_id_; }
  storage::PartitionLog& log() { return *log_; }
  const std::shared_ptr<storage::PartitionLog>& log_ptr() const { return log_; }
  // "[orders-3 e=7]" for log lines.
  std::string log_prefix() const;

  // ---- role ----
  // Applies the partition's assignment (see ROLES) and its topic's min.insync.replicas. Older
  // assignments (lower partition epoch) are ignored. Returns the role after it.
  Role apply_assignment(const PartitionAssignment& assignment, int32_t min_insync_replicas);
  void set_lease(bool valid);
  // Stops serving (deleted or moved away): every waiter fails with NOT_LEADER_OR_FOLLOWER.
  void stop();

  Role role() const;
  bool is_leader() const;  // leading with a valid lease
  LeaderEpoch leader_epoch() const;
  NodeId leader() const;
  PartitionAssignment assignment() const;
  int32_t min_insync_replicas() const;
  // NONE, or FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH when a client's epoch (not -1) differs
  // from ours, or NOT_LEADER_OR_FOLLOWER when we do not lead (or our lease ran out).
  ErrorCode check_leader(int32_t client_leader_epoch) const;

  // ---- produce (leader) ----
  struct Appended {
    storage::AppendResult result;
    Offset needed_end;  // the high watermark acks=all waits for (last offset + 1)
  };
  // Errors: NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS (acks=all, |ISR| < min.insync.replicas;
  // nothing appended), and the storage errors (CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, ...).
  Result<Appended> append(std::span<uint8_t> batches, Acks acks);
  // Calls `done` once the high watermark reaches `needed_end`: NONE, or
  // NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR is below min.insync.replicas then,
  // REQUEST_TIMED_OUT after `timeout_ms`, NOT_LEADER_OR_FOLLOWER if leadership (or the lease)
  // was lost meanwhile.
  void wait_for_high_watermark(Offset needed_end, int64_t timeout_ms,
                               std::function<void(ErrorCode)> done);

  // ---- consumer reads (leader) ----
  Offset high_watermark() const;
  Offset log_start_offset() const { return log_->log_start_offset(); }
  Offset log_end_offset() const { return log_->log_end_offset(); }
  // Whole batches from `offset`, bounded by the high watermark (see storage read()).
  Result<storage::ReadResult> read(Offset offset, uint64_t max_bytes) const;
  // KIP-207: OFFSET_NOT_AVAILABLE while a new leader's HW is below its epoch start offset.
  ErrorCode check_high_watermark_current() const;

  // ---- the replica side of Fetch, and OffsetForLeaderEpoch (leader) ----
  // Checks the follower's epochs, records its position, and reads up to `max_bytes` from its
  // fetch offset (nothing when 0: its answer is full already).
  ReplicaRead read_for_follower(NodeId follower, BrokerEpoch broker_epoch,
                                const FetchPosition& position, uint64_t max_bytes);
  // Kafka's lastOffsetForLeaderEpoch: the end of the largest local epoch <= `requested`
  // (checked against `current_leader_epoch` like a fetch; -1 skips the check).
  Result<storage::EpochEndOffset> end_offset_for_epoch(int32_t current_leader_epoch,
                                                       LeaderEpoch requested) const;

  // ---- the follower side (called by the fetcher) ----
  // What to fetch next from `leader` in `epoch`, or nullopt when this replica no longer
  // follows that leader in that epoch.
  std::optional<FetchPosition> follower_position(NodeId leader, LeaderEpoch epoch) const;
  // Carries out the leader's answer on the log (append, truncate, restart) and updates the HW.
  FollowerOutcome apply_leader_answer(NodeId leader, LeaderEpoch epoch, const FetchPosition& sent,
                                      const LeaderAnswer& answer, ByteSpan records);

  // ---- ISR (leader) ----
  // The AlterPartition to send now (at most one in flight), see LeaderState::next_isr_change.
  std::optional<IsrProposal> next_isr_change(int64_t max_lag_ms,
                                             const std::map<NodeId, BrokerEndpoint>& live);
  // The controller's answer: the partition state after a committed change, or nullopt.
  void on_alter_partition_result(const std::optional<PartitionAssignment>& state);

  // ---- watchers and durability ----
  enum class Watch { kHighWatermark, kLogEnd };
  uint64_t watch(Watch kind, std::function<void()> fire);
  void unwatch(uint64_t id);
  // The storage layer made data durable up to `durable_end` (the durable listener).
  void on_durable(Offset durable_end);
  // Whether appended data awaits an fsync.
  bool needs_flush() const;

 private:
  using Tasks = std::vector<std::function<void()>>;
  struct Waiter {
    std::function<void(ErrorCode)> done;
    std::shared_ptr<TimerHandle> timer;
  };
  struct Watcher {
    Watch kind;
    std::function<void()> fire;
  };
  std::string log_prefix_locked() const;
  std::string topic_partition() const;
  void become_leader_locked(const PartitionAssignment& a, bool same_leader, Tasks& out);
  void become_follower_locked(const PartitionAssignment& a, Tasks& out);
  void go_offline_locked(const PartitionAssignment& a, Tasks& out);
  bool leading_locked() const { return leader_.has_value() && lease_valid_ && !stopped_; }
  ErrorCode check_leader_locked(int32_t client_leader_epoch, bool need_lease = true) const;
  void set_high_watermark_locked(Offset hw, Tasks& out);
  void complete_waiters_locked(Tasks& out);
  void fail_all_waiters_locked(ErrorCode code, Tasks& out);
  void fire_watchers_locked(bool log_end_only, Tasks& out);
  LocalLog local_log() const;
  void run(Tasks tasks);

  const std::string topic_;
  const int32_t index_;
  const Uuid topic_id_;
  const std::shared_ptr<storage::PartitionLog> log_;
  const NodeId self_;
  const AckMode mode_;
  Executor& executor_;
  Clock& clock_;

  mutable std::mutex mutex_;
  PartitionAssignment assignment_;
  bool has_assignment_ = false;
  int32_t min_insync_replicas_ = 1;
  std::optional<LeaderState> leader_;
  std::optional<FollowerState> follower_;
  Offset high_watermark_;  // the leader's HW, or the follower's (min of the leader's and its end)
  bool lease_valid_ = true;
  WaiterQueue waiter_queue_;
  std::map<WaiterQueue::Id, Waiter> waiters_;
  uint64_t next_watch_id_ = 1;
  std::map<uint64_t, Watcher> watchers_;
  bool stopped_ = false;
};

}  // namespace ferry::replication
