// Describe the controller quorum (kafka-metadata-quorum describe --status / --replication) from
// any process: a small blocking client for the CLI (`ferry cluster quorum`). Plain C++: no gRPC
// or protobuf in this header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/strong_types.h"

namespace ferry::controller {

struct VoterDescription {
  NodeId id = kNoNode;
  std::string address;          // host:port of its CONTROLLER listener
  int64_t log_end_offset = -1;  // the leader's view of the voter's log end (match index)
  int64_t lag = -1;             // high watermark - log_end_offset (0 for the leader)
  // Milliseconds since the leader last saw the voter caught up to the high watermark / since it
  // last heard from it; -1 unknown.
  int64_t last_caught_up_ms_ago = -1;
  int64_t last_fetch_ms_ago = -1;
  // "Leader", "Follower" (being streamed entries), "Follower (probe)" / "Follower (snapshot)"
  // (being caught up), or "Observer".
  std::string state;
};

struct QuorumDescription {
  std::string cluster_id;
  NodeId leader_id = kNoNode;
  int64_t leader_epoch = -1;    // the Raft term
  int64_t high_watermark = -1;  // the commit index
  int64_t log_start_offset = -1;
  std::vector<VoterDescription> voters;  // by id; the leader first
  // Brokers following the log from the leader (state "Observer"), with the offset their last
  // fetch reported; forgotten 5 minutes after their last fetch.
  std::vector<VoterDescription> observers;
};

// Asks the voter at `address` (host:port of a CONTROLLER listener); if it is not the active
// controller, follows its hint to the leader (once). Bounded by `timeout_ms`.
// NOT_CONTROLLER when no leader is known, REQUEST_TIMED_OUT / NETWORK_EXCEPTION when nothing
// answers.
Result<QuorumDescription> describe_quorum(const std::string& address, int64_t timeout_ms = 5000);

// Asks each of `addresses` in turn, round after round with a short back-off, until one answers
// or `timeout_ms` passes: right after the leader dies the others still name it for up to an
// election timeout, then elect a new one. Returns the last error when none answered.
Result<QuorumDescription> describe_quorum_any(const std::vector<std::string>& addresses,
                                              int64_t timeout_ms = 5000);

// describe_quorum_any() over the `id@host:port` entries of controller.quorum.voters.
Result<QuorumDescription> describe_quorum_of(const std::vector<std::string>& voters,
                                             int64_t timeout_ms = 5000);

}  // namespace ferry::controller
