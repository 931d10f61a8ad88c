// QuorumStatus: what the active controller reports to DescribeQuorum (kafka-metadata-quorum
// describe --status / --replication). Pure (no threads, clocks or I/O): the driver passes the
// Raft status, the observers and the time.
//
// Raft's progress says how far each voter's log matches the leader's, not when; the times come
// from tracking it every tick: a voter is "caught up" at a tick where its match index reaches the
// commit index, and "heard from" where Raft saw it recently active. The leader forgets both when
// it becomes active (they were another leader's observations).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/strong_types.h"
#include "controller/quorum/metadata_observers.h"
#include "controller/quorum/options.h"
#include "controller/quorum_admin.h"
#include "controller/raft/raw_node.h"

namespace ferry::controller {

class QuorumStatus {
 public:
  // Every tick while leading.
  void track(const raft::NodeStatus& status, int64_t now_ms);
  void reset();

  struct Inputs {
    const raft::NodeStatus& raft;
    const std::vector<VoterAddress>& voters;
    const std::map<NodeId, MetadataObservers::Observer>& observers;
    std::string cluster_id;
    int64_t log_start_offset = -1;
  };
  // The leader (this voter) first, then the other voters in configuration order, then the
  // observers.
  QuorumDescription describe(const Inputs& in, int64_t now_ms) const;

 private:
  std::map<NodeId, int64_t> last_caught_up_ms_;
  std::map<NodeId, int64_t> last_contact_ms_;
};

}  // namespace ferry::controller
