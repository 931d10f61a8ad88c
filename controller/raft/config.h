// Config: the knobs of one Raft node. Time is in ticks: the driver calls RawNode::tick() at a
// fixed interval (e.g. every 100 ms, so election_timeout_ticks = 10 is ~1-2 s of silence).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/error.h"
#include "common/strong_types.h"

namespace ferry::raft {

struct Config {
  // This node (`node.id`); must be one of the voters to ever campaign.
  NodeId id = kNoNode;
  // The quorum (`controller.quorum.voters` ids). Used when storage has no configuration yet (no
  // snapshot); once a snapshot exists its configuration wins.
  std::vector<NodeId> voters;

  // A follower or candidate that hears nothing from a leader for a randomised timeout in
  // [election_timeout_ticks, 2 * election_timeout_ticks) starts an election. With check_quorum,
  // it is also the period after which a leader that has not heard from a majority steps down.
  int64_t election_timeout_ticks = 10;
  // A leader sends heartbeats every heartbeat_ticks; must be < election_timeout_ticks.
  int64_t heartbeat_ticks = 1;
  // Thesis 9.6: campaign only after a pre-vote round that a majority would grant, so a node
  // returning from a partition does not disrupt a healthy leader with a higher term.
  bool pre_vote = true;
  // Thesis 6.2: a leader steps down when it has not heard from a majority for an election
  // timeout; followers that heard from a leader within the minimum election timeout ignore vote
  // requests (leader stickiness).
  bool check_quorum = true;

  // Flow control of log replication: per Append message at most max_append_entries entries and
  // max_append_bytes (always at least one entry); at most max_inflight_appends unacknowledged
  // Append messages per follower (and max_inflight_bytes, 0 = unlimited).
  size_t max_append_entries = 1024;
  uint64_t max_append_bytes = 1 << 20;
  size_t max_inflight_appends = 256;
  uint64_t max_inflight_bytes = 0;
  // Upper bound of committed entries handed out in one Ready (at least one), 0 = unlimited.
  uint64_t max_committed_bytes_per_ready = 64 << 20;

  // A snapshot sent to a follower that is not acknowledged within this many ticks is assumed
  // lost and is sent again (the transport may also call RawNode::report_snapshot()). 0 means
  // 5 * election_timeout_ticks.
  int64_t install_snapshot_timeout_ticks = 0;

  // The last index the driver's state machine applied before this start (persisted with the
  // state machine), or 0 when the state machine is rebuilt from the latest snapshot (then its
  // index is used). Committed entries after it are handed out again.
  LogIndex applied{0};

  // INVALID_CONFIG with a message naming the bad field.
  Status validate() const;
  int64_t snapshot_timeout_ticks() const {
    return install_snapshot_timeout_ticks > 0 ? install_snapshot_timeout_ticks
                                              : 5 * election_timeout_ticks;
  }
};

}  // namespace ferry::raft
