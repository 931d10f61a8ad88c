// The controller quorum as kafka-metadata-quorum describe --status / --replication shows it: what
// the active controller answers to DescribeQuorum (QuorumController::describe_quorum; on the
// wire, proto DescribeQuorumResponse, which `ferry cluster quorum` reads through the stubs in
// cli/quorum_client.h). Plain C++: no gRPC or protobuf in this header.
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

}  // namespace ferry::controller
