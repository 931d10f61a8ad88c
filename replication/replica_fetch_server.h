// The leader's side of the ISR fetch loop: answers one follower's fetch (already decoded into
// neutral types by the Kafka Fetch handler, broker/kafka/handlers/fetch.cc) from this broker's
// partitions.
//
// Each partition goes through Partition::read_for_follower (epoch checks, divergence, position
// update, read up to the log end). The answer goes out at once when any partition has records,
// a DivergingEpoch, an error, or a HW above the one the follower reports; otherwise the fetch
// parks until one of its partitions gets new data or a new HW (log-end watchers) or
// `max_wait_ms` passes, and is then read again. Byte limits: `partition_max_bytes` per
// partition and `max_bytes` in all, except that the first batch of the answer comes whole
// (KIP-74) unless `max_bytes` is 0: a Ferry follower's report of its durable end (fetcher.h),
// which updates the positions and reads nothing. The records are FileSlices (sendfile), never
// copied here.
//
// Threading: `done` runs once, on the caller's thread or the executor.
#pragma once

#include <functional>
#include <vector>

#include "common/clock.h"
#include "common/executor.h"
#include "replication/partition.h"
#include "replication/transport.h"

namespace ferry::replication {

class ReplicaManager;

struct ServedPartition {
  Uuid topic_id;
  int32_t partition = 0;
  ReplicaRead read;
};

struct ServedFetch {
  std::vector<ServedPartition> partitions;  // in request order
};

void serve_replica_fetch(ReplicaManager& replicas, const ReplicaFetchRequest& request,
                         Executor& executor, Clock& clock, std::function<void(ServedFetch)> done);

}  // namespace ferry::replication
