// The pure replication state of one partition on its leader (ARCHITECTURE.md section 3):
// replica positions, the ISR, the high watermark and the requests waiting for it.
//
// No I/O, clocks, threads or locks: the driver (broker/partition.*) feeds events in (local
// appends and fsyncs, follower fetches, committed ISR changes, `now_ms`) and acts on what comes
// out (a new high watermark, waiters to complete, an ISR change to propose).
//
// Invariants (checked with FERRY_ASSERT):
//  * HW = min over ISR members of their acknowledged end offset, where the acknowledged end
//    offset is the DURABLE end offset (fsynced) in `kDurable` mode and the log end offset in
//    `kPageCache` mode (log.flush.mode);
//  * HW never goes backwards while this state lives (a new leader starts from the HW it knew);
//  * the leader is always in the ISR; the ISR is a subset of the replicas.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/strong_types.h"

namespace ferry::replication {

enum class AckMode {
  kDurable,    // acknowledge only what every ISR member has fsynced
  kPageCache,  // Kafka's default: acknowledge what every ISR member has in its log
};

struct ReplicaPosition {
  Offset log_end{0};
  Offset durable_end{0};
  int64_t last_caught_up_ms = 0;  // last time this replica had reached the leader's end
};

class LeaderState {
 public:
  LeaderState(NodeId self, LeaderEpoch epoch, std::vector<NodeId> replicas, std::vector<NodeId> isr,
              AckMode mode, Offset initial_high_watermark, ReplicaPosition local, int64_t now_ms);

  NodeId self() const { return self_; }
  LeaderEpoch epoch() const { return epoch_; }
  Offset high_watermark() const { return high_watermark_; }
  const std::vector<NodeId>& isr() const { return isr_; }
  const std::vector<NodeId>& replicas() const { return replicas_; }

  // Local log events. Return the new HW when it advanced.
  std::optional<Offset> on_local_append(Offset log_end, int64_t now_ms);
  std::optional<Offset> on_local_durable(Offset durable_end, int64_t now_ms);
  // A follower fetched from `fetch_offset` (so it holds everything below) and reports its own
  // durable end offset.
  std::optional<Offset> on_follower_fetch(NodeId follower, Offset fetch_offset,
                                          Offset follower_durable_end, int64_t now_ms);
  // The controller committed a new ISR for this partition.
  std::optional<Offset> on_isr_committed(std::vector<NodeId> isr);

  // ISR proposals: members that have not caught up for longer than `max_lag_ms` (never the
  // leader), and non-members that have caught up to the HW. Empty when nothing should change.
  std::vector<NodeId> isr_to_shrink(int64_t now_ms, int64_t max_lag_ms) const;
  std::vector<NodeId> isr_to_expand() const;

 private:
  Offset acknowledged_end(const ReplicaPosition& p) const;
  std::optional<Offset> recompute_high_watermark();

  NodeId self_;
  LeaderEpoch epoch_;
  std::vector<NodeId> replicas_;
  std::vector<NodeId> isr_;
  AckMode mode_;
  Offset high_watermark_;
  std::map<NodeId, ReplicaPosition> positions_;
};

// Requests parked until the high watermark passes an offset (acks=all produces), keyed by the
// offset they need (exclusive end: ready when HW >= needed_end).
class WaiterQueue {
 public:
  using Id = uint64_t;
  Id add(Offset needed_end);
  void remove(Id id);
  // Ids whose needed end is <= hw, in registration order per offset; they are removed.
  std::vector<Id> take_ready(Offset hw);
  // Every waiter (leadership lost, partition closed); they are removed.
  std::vector<Id> take_all();
  size_t size() const { return by_offset_.size(); }

 private:
  Id next_id_ = 1;
  std::multimap<Offset, Id> by_offset_;
  std::map<Id, Offset> by_id_;
};

}  // namespace ferry::replication
