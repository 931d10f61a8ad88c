// ReadIndexQueue: the leader's pending linearizable reads (thesis 6.4, "ReadIndex").
//
// A read request records the leader's commit index at the time it arrives (its *read index*).
// The leader then confirms it is still the leader by a round of heartbeats carrying the request
// context; once a majority (counting itself) echoes that context, every request queued up to and
// including it may be served at its read index: no other leader can have committed anything the
// read would miss. The requester serves the read when its state machine has applied the index.
//
// A leader only takes requests once it has committed an entry of its own term (its no-op), so
// that its commit index is at least that of every earlier leader; the core queues earlier ones.
//
// Contexts identify requests and must be unique among pending requests (a duplicate is ignored).
// Pending requests are dropped when leadership changes; requesters retry on timeout.
#pragma once

#include <deque>
#include <optional>
#include <set>
#include <vector>

#include "common/bytes.h"
#include "common/strong_types.h"
#include "controller/raft/types.h"

namespace ferry::raft {

struct ReadIndexRequest {
  NodeId from = kNoNode;  // the node to answer (the leader itself for local reads)
  Bytes context;
  LogIndex index{0};      // the leader's commit index when the request arrived
  std::set<NodeId> acks;  // voters that confirmed leadership since
};

class ReadIndexQueue {
 public:
  // Queues a request; the leader's own acknowledgement is counted at once. False if a request
  // with the same context is already pending.
  bool add(NodeId from, Bytes context, LogIndex commit, NodeId self);
  // Context to put in the next heartbeats (the newest pending request's), if any.
  const Bytes* last_context() const;
  // Records that `from` echoed `context`; returns the acks of that request (nullptr if unknown).
  const std::set<NodeId>* record_ack(NodeId from, const Bytes& context);
  // Removes and returns every request up to and including the one with `context`.
  std::vector<ReadIndexRequest> release_through(const Bytes& context);
  void clear() { queue_.clear(); }
  size_t size() const { return queue_.size(); }

 private:
  std::deque<ReadIndexRequest> queue_;
};

}  // namespace ferry::raft
