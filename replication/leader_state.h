// The pure replication state of one partition on its leader (ARCHITECTURE.md section 3): the
// replicas' positions, the committed and maximal ISR, the high watermark, the epoch start offset
// and the ISR change to ask the controller for.
//
// No I/O, clocks, threads or locks: the partition driver (replication/partition.*) feeds events
// in (local appends and fsyncs, follower fetches, committed assignments, AlterPartition results,
// `now_ms`) and acts on what comes out (a new HW, waiters to complete, an AlterPartition to send).
//
// Rules, with their sources:
//  * HW = min over the MAXIMAL ISR of each member's acknowledged end: its durable (fsynced) end in
//    `kDurable` mode (Ferry's default), its log end in `kPageCache` mode (Kafka's). The maximal
//    ISR is the committed ISR plus the members of an expansion still in flight (KIP-497), so the
//    HW never passes data a replica that may already be in the controller's ISR lacks.
//  * The HW never goes backwards while this state lives. A new leader starts from the HW it
//    learnt as a follower, which may be behind the old leader's: while HW < epoch start offset
//    the driver answers ListOffsets with OFFSET_NOT_AVAILABLE (KIP-207).
//  * Lag (Kafka's Replica.updateFetchStateOrThrow): a fetch at or past the leader's log end makes
//    the follower caught up now; a fetch at or past the leader's log end *as of the follower's
//    previous fetch* makes it caught up as of that previous fetch. A member is dropped from the
//    ISR once it has not been caught up for replica.lag.time.max.ms, and never while it sits at
//    the leader's log end (so a healthy follower under steady load is never dropped).
//  * Expansion (Kafka's Partition.isFollowerInSync + KIP-903): a replica rejoins once its log end
//    reaches both the HW and the start offset of the leader's epoch, it is live, and its fetches
//    carry the broker epoch the controller has registered for it; the AlterPartition carries
//    that epoch so the controller refuses a replica that restarted meanwhile.
//  * At most one AlterPartition in flight; committed state only comes back through
//    on_assignment() (metadata) or on_alter_partition_result() with a newer partition epoch.
//  * The leader is always in the ISR; the ISR is a subset of the replicas.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/error.h"
#include "common/strong_types.h"
#include "replication/acks_policy.h"
#include "replication/assignment.h"
#include "replication/follower_state.h"

namespace ferry::replication {

enum class AckMode {
  kDurable,    // acknowledge only what every ISR member has fsynced
  kPageCache,  // Kafka's default: acknowledge what every ISR member has in its log
};

struct ReplicaPosition {
  Offset log_end{0};                    // the follower's fetch offset: it holds all below
  Offset durable_end{0};                // what it has fsynced (<= log_end)
  BrokerEpoch broker_epoch{-1};         // from its fetches (Fetch ReplicaState); -1 = unknown
  int64_t last_caught_up_ms = 0;        // Kafka's lastCaughtUpTimeMs
  int64_t last_fetch_ms = 0;            // when it last fetched
  Offset last_fetch_leader_log_end{0};  // the leader's log end at that fetch
};

// An AlterPartition the leader sends: compare-and-set on both epochs, the new ISR with the
// broker epoch of each member as seen in its fetches (-1 where unknown, e.g. the leader itself
// or a member that has not fetched from this leader yet; the controller checks only known ones).
struct IsrProposal {
  LeaderEpoch leader_epoch;
  PartitionEpoch partition_epoch;
  std::vector<NodeId> new_isr;
  std::vector<BrokerEpoch> member_epochs;  // parallel to new_isr
  bool operator==(const IsrProposal&) const = default;
};

// KIP-320 on the leader (Kafka's Partition.readRecords): a follower must truncate before it
// fetches on when its last fetched epoch ends earlier in `leader_log` than its fetch offset, when
// the leader never had that epoch (its largest epoch <= it is older), or when it fetches past the
// leader's log end. Returns the DivergingEpoch to answer (the leader's end of the largest epoch
// <= the follower's), else nullopt.
std::optional<storage::EpochEndOffset> follower_divergence(const FetchPosition& position,
                                                           const LocalLog& leader_log);

class LeaderState {
 public:
  // `assignment.leader` must be `self`. `epoch_start_offset` is where this leader's epoch begins
  // in the log (its log end at election, KIP-279); `initial_hw` the HW it knew before.
  LeaderState(NodeId self, const PartitionAssignment& assignment, AckMode mode, Offset initial_hw,
              Offset epoch_start_offset, Offset log_end, Offset durable_end, int64_t now_ms);

  NodeId self() const { return self_; }
  LeaderEpoch epoch() const { return assignment_.leader_epoch; }
  PartitionEpoch partition_epoch() const { return assignment_.partition_epoch; }
  Offset high_watermark() const { return high_watermark_; }
  Offset epoch_start_offset() const { return epoch_start_offset_; }
  Offset log_end() const { return positions_.at(self_).log_end; }
  const PartitionAssignment& assignment() const { return assignment_; }
  const std::vector<NodeId>& isr() const { return assignment_.isr; }
  // The committed ISR plus the members of an expansion in flight (KIP-497).
  std::vector<NodeId> maximal_isr() const;
  const std::optional<IsrProposal>& in_flight() const { return in_flight_; }
  const ReplicaPosition* position(NodeId replica) const;
  // KIP-207: true while the HW has not reached the start of this leader's epoch.
  bool high_watermark_lags_epoch_start() const { return high_watermark_ < epoch_start_offset_; }

  // ---- events; each returns the new HW when it advanced ----
  std::optional<Offset> on_local_append(Offset log_end, int64_t now_ms);
  std::optional<Offset> on_local_durable(Offset durable_end, int64_t now_ms);
  // A follower fetched at `fetch_offset` (<= our log end: it holds everything below) and reports
  // the end of what it has fsynced. Ignored for non-replicas.
  std::optional<Offset> on_follower_fetch(NodeId follower, BrokerEpoch broker_epoch,
                                          Offset fetch_offset, Offset durable_end, int64_t now_ms);
  // A newer committed assignment where `self` still leads: same or new leader epoch (a new epoch
  // starts at `epoch_start_offset`), replicas and ISR possibly changed. Stale ones (older
  // partition epoch) are ignored. Clears the in-flight proposal once the partition epoch moved.
  std::optional<Offset> on_assignment(const PartitionAssignment& assignment,
                                      Offset epoch_start_offset, int64_t now_ms);
  // The controller answered our AlterPartition: `committed` is the partition state it returned
  // when the change (or another) was committed, nullopt when it refused. Clears the in-flight
  // proposal either way.
  std::optional<Offset> on_alter_partition_result(const std::optional<PartitionAssignment>& state,
                                                  int64_t now_ms);

  // ---- decisions ----
  // The ISR change to propose now, or nullopt (nothing to change, or one is in flight). Shrinks
  // first (members lagging for more than `max_lag_ms`), else expansions. `live_brokers` are the
  // registered, unfenced brokers with their epochs. Marks the proposal in flight.
  std::optional<IsrProposal> next_isr_change(int64_t now_ms, int64_t max_lag_ms,
                                             const std::map<NodeId, BrokerEndpoint>& live_brokers);
  // acks / min.insync.replicas before an append (acks_policy.h, over the committed ISR).
  Status check_append(Acks acks, int32_t min_insync_replicas,
                      const std::string& topic_partition) const {
    return check_before_append(acks, assignment_.isr.size(), min_insync_replicas, topic_partition);
  }
  ErrorCode completion_code(int32_t min_insync_replicas) const {
    return replication::completion_code(assignment_.isr.size(), min_insync_replicas);
  }

 private:
  Offset acknowledged_end(const ReplicaPosition& p) const;
  std::optional<Offset> recompute_high_watermark();
  bool caught_up(const ReplicaPosition& p, int64_t now_ms, int64_t max_lag_ms) const;
  bool may_join(NodeId replica, const std::map<NodeId, BrokerEndpoint>& live_brokers) const;
  void sync_positions_with_replicas(int64_t now_ms);
  IsrProposal propose(std::vector<NodeId> new_isr);

  NodeId self_;
  PartitionAssignment assignment_;
  AckMode mode_;
  Offset high_watermark_;
  Offset epoch_start_offset_;
  std::map<NodeId, ReplicaPosition> positions_;
  std::optional<IsrProposal> in_flight_;
};

}  // namespace ferry::replication
