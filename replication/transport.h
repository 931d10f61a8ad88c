// What replication needs from the network and the controller, as interfaces `broker/`
// implements: the replica fetch client speaks Kafka's Fetch (v15+, ReplicaState) to the
// leader's inter-broker listener with Ferry's tagged fields, and the ISR channel sends
// AlterPartition to the active controller. Replication itself includes no Asio, codec or
// controller header.
//
// Threading: callbacks may run on any thread, exactly once, and must not block.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "common/uuid.h"
#include "replication/assignment.h"
#include "replication/follower_state.h"
#include "replication/leader_state.h"

namespace ferry::replication {

struct ReplicaFetchPartition {
  Uuid topic_id;
  int32_t partition = 0;
  FetchPosition position;
  int32_t max_bytes = 0;
};

// One Fetch from a follower broker to one leader broker, for every partition it follows there.
struct ReplicaFetchRequest {
  NodeId replica_id{-1};
  BrokerEpoch broker_epoch{-1};
  int32_t max_wait_ms = 500;
  int32_t min_bytes = 1;
  int32_t max_bytes = 10 * 1024 * 1024;
  std::vector<ReplicaFetchPartition> partitions;
};

struct ReplicaFetchPartitionResponse {
  Uuid topic_id;
  int32_t partition = 0;
  LeaderAnswer answer;
  ByteSpan records;  // batches exactly as the leader stored them (valid while `owner` lives)
};

struct ReplicaFetchResponse {
  ErrorCode error = ErrorCode::NONE;  // a top-level error (the whole request failed)
  std::vector<ReplicaFetchPartitionResponse> partitions;
  std::shared_ptr<const void> owner;  // the response frame the records point into
};

// One connection to one broker. Requests may be pipelined; their answers come back in order.
// The fetcher keeps one data fetch in flight (its back-pressure) plus report-only fetches
// (max_bytes 0) that tell the leader a new durable end as soon as an fsync completes.
class ReplicaFetchClient {
 public:
  virtual ~ReplicaFetchClient() = default;
  // NETWORK_EXCEPTION / REQUEST_TIMED_OUT / CORRUPT_MESSAGE (bad frame) as errors; the client is
  // unusable after an error and is replaced.
  virtual void fetch(const ReplicaFetchRequest& request,
                     std::function<void(Result<ReplicaFetchResponse>)> done) = 0;
  // Fails the requests in flight (their callbacks run with NETWORK_EXCEPTION) and closes.
  virtual void close() = 0;
};

class ReplicaFetchClientFactory {
 public:
  virtual ~ReplicaFetchClientFactory() = default;
  virtual std::unique_ptr<ReplicaFetchClient> connect(NodeId broker,
                                                      const BrokerEndpoint& endpoint) = 0;
};

// AlterPartition to the active controller. `done` gets the committed partition state, or the
// controller's error (FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, INELIGIBLE_REPLICA, ...).
class IsrChannel {
 public:
  virtual ~IsrChannel() = default;
  virtual void alter_partition(const Uuid& topic_id, int32_t partition, const IsrProposal& proposal,
                               std::function<void(Result<PartitionAssignment>)> done) = 0;
};

}  // namespace ferry::replication
