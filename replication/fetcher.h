// The follower side of the ISR fetch loop: one ReplicaFetcher per source (leader) broker,
// fetching every partition this broker follows there in one long-polling Fetch at a time.
//
// A round: ask each partition for its FetchPosition (fetch offset = log end, last fetched
// epoch, current leader epoch, durable end, known HW), send one Fetch, apply each partition's
// answer through Partition::apply_leader_answer (append / truncate / restart / back off), and
// send the next Fetch at once. In durable mode (log.flush.mode=fsync) what a round appended is
// fsynced meanwhile (group commit through the LogManager's flusher); when that fsync completes,
// a report-only Fetch (max_bytes 0, no wait) on the same connection tells the leader the new
// durable end. The leader takes it in as it arrives, even while the data fetch before it is
// parked there, so acks=all latency is about one round trip plus one fsync, and copying the
// next records overlaps the fsync of the last ones instead of waiting for it.
//
// Bounded memory: one data fetch in flight per fetcher, at most `max_bytes` per answer and
// `partition_max_bytes` per partition; the leader's answer is the back-pressure. Reports carry
// no records.
// Failures: a broken connection or a failed answer waits `backoff_ms` and reconnects; a
// partition whose answer says back off (stale epoch, storage error) sits out `backoff_ms`.
//
// Threading: thread-safe; rounds run on the Executor.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "common/executor.h"
#include "replication/partition.h"
#include "replication/transport.h"

namespace ferry::replication {

struct FetcherOptions {
  int32_t max_wait_ms = 500;                  // replica.fetch.wait.max.ms
  int32_t min_bytes = 1;                      // replica.fetch.min.bytes
  int32_t max_bytes = 10 * 1024 * 1024;       // replica.fetch.response.max.bytes
  int32_t partition_max_bytes = 1024 * 1024;  // replica.fetch.max.bytes
  int64_t backoff_ms = 100;                   // replica.fetch.backoff.ms
  bool durable = true;                        // log.flush.mode=fsync
};

class ReplicaFetcher : public std::enable_shared_from_this<ReplicaFetcher> {
 public:
  // Makes everything appended to `logs` durable, then calls `done` (on any thread).
  using Flush = std::function<void(std::vector<std::shared_ptr<storage::PartitionLog>> logs,
                                   std::function<void()> done)>;

  ReplicaFetcher(NodeId self, NodeId source, BrokerEndpoint endpoint, FetcherOptions options,
                 ReplicaFetchClientFactory& clients, Flush flush, Executor& executor, Clock& clock,
                 std::function<BrokerEpoch()> own_broker_epoch);
  ~ReplicaFetcher();

  NodeId source() const { return source_; }
  // Follow `partition` from this fetcher's broker in leader epoch `epoch` (replaces an entry for
  // the same partition).
  void add(const std::shared_ptr<Partition>& partition, LeaderEpoch epoch);
  void remove(const Partition* partition);
  size_t size() const;
  void set_endpoint(const BrokerEndpoint& endpoint);
  // Stops after the request in flight (its answer is dropped). Idempotent.
  void stop();

 private:
  struct Entry {
    std::shared_ptr<Partition> partition;
    LeaderEpoch epoch;
    int64_t backoff_until_ms = 0;
  };
  struct Sent {
    std::shared_ptr<Partition> partition;
    LeaderEpoch epoch;
    FetchPosition position;
  };
  using Key = std::pair<Uuid, int32_t>;

  void kick_locked();
  void schedule_round_locked(int64_t delay_ms);
  void round();
  void on_response(std::map<Key, Sent> sent, Result<ReplicaFetchResponse> response);
  void finish_round(bool failed);
  // Tells the leader every partition's durable end now (after an fsync).
  void report_durable();

  const NodeId self_;
  const NodeId source_;
  const FetcherOptions options_;
  ReplicaFetchClientFactory& clients_;
  const Flush flush_;
  Executor& executor_;
  Clock& clock_;
  const std::function<BrokerEpoch()> own_broker_epoch_;

  mutable std::mutex mutex_;
  BrokerEndpoint endpoint_;
  std::map<Key, Entry> entries_;
  std::shared_ptr<ReplicaFetchClient> client_;
  bool in_flight_ = false;  // a round is running (request out, or answers being applied)
  bool scheduled_ = false;  // a round is queued on the executor or a timer
  bool stopped_ = false;
  std::shared_ptr<TimerHandle> timer_;
  int64_t last_error_log_ms_ = -1'000'000;
};

}  // namespace ferry::replication
