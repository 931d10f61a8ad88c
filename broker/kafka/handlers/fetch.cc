// Fetch (1): consumers read batches below the high watermark; followers (ReplicaState, v15+, or
// ReplicaId >= 0 before) read up to the log end. Batches go out with sendfile, as stored.
//
//  * Topics by name (v4-12) or by topic id (v13+: UNKNOWN_TOPIC_ID for unknown ids).
//  * Consumers: offsets outside [log start, log end] get OFFSET_OUT_OF_RANGE (clients then
//    reset with ListOffsets); an offset in (HW, log end] gets an empty answer, not an error
//    (Kafka's LocalLog.read): after a failover the new leader's HW may lag what a consumer
//    already read, and an error there would make it reset. CurrentLeaderEpoch (v9+, -1 = do
//    not check): FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH.
//  * Followers (the ISR fetch loop, replication/partition.h read_for_follower): LastFetchedEpoch
//    is checked first and answered with DivergingEpoch when the follower must truncate
//    (KIP-320); otherwise their fetch offset, Ferry's FerryReplica durable end offset and their
//    broker epoch move the leader's HW and ISR state. A follower's long poll also ends when the
//    HW moved past the one it reports, so it learns the HW within a round trip.
//  * Byte limits: PartitionMaxBytes per partition and MaxBytes for the response, except that
//    the first batch of the first partition with data is returned whole (KIP-74).
//  * Long poll: with fewer than MinBytes available the request waits up to MaxWaitMs and is
//    answered as soon as a high watermark it reads advances enough (or a leadership changes).
//  * Fetch sessions (v7+) are not kept: SessionId 0 in every answer, which every client accepts.
//  * No transactions: LastStableOffset = HighWatermark, no aborted transactions.
#include <atomic>

#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/partition_lookup.h"
#include "broker/protocol/generated/messages.h"
#include "common/log.h"
#include "replication/replica_fetch_server.h"

namespace ferry::broker::kafka::handlers {

namespace {

constexpr int8_t kReadCommitted = 1;

using PartitionData = FetchResponse::PartitionData;

struct FetchState : std::enable_shared_from_this<FetchState> {
  RequestContextPtr ctx;
  FetchRequest request;
  NodeId replica_id{-1};  // >= 0: a follower broker's fetch
  BrokerEpoch replica_epoch{-1};
  int64_t deadline_ms = 0;
  std::mutex mutex;
  bool answered = false;
  std::vector<std::pair<std::shared_ptr<replication::Partition>, uint64_t>> watches;
  std::shared_ptr<TimerHandle> timer;
};

uint64_t add_slice(const storage::FileSlice& slice, PartitionData& out) {
  if (slice.length == 0) return 0;
  out.records = Records();
  out.records.append(FileRegion{slice.file, slice.file->fd(), static_cast<int64_t>(slice.position),
                                static_cast<size_t>(slice.length)});
  return slice.length;
}

// KIP-74: the first batch comes whole whatever the limits; 0 means "nothing more".
uint64_t byte_limit(const FetchRequest::FetchPartition& p, uint64_t budget, bool first_data) {
  const uint64_t limit =
      std::min<uint64_t>(static_cast<uint64_t>(std::max(p.partition_max_bytes, 0)), budget);
  return limit == 0 && first_data ? 1 : limit;
}

// A consumer's partition: below the high watermark only.
uint64_t read_for_consumer(replication::Partition& partition, const FetchRequest::FetchPartition& p,
                           uint64_t budget, bool first_data, PartitionData& out) {
  if (const auto code = partition.check_leader(p.current_leader_epoch); code != ErrorCode::NONE) {
    out.error_code = to_int(code);
    out.high_watermark = -1;
    return 0;
  }
  const Offset hw = partition.high_watermark();
  const Offset log_start = partition.log_start_offset();
  out.high_watermark = hw.value();
  out.last_stable_offset = hw.value();
  out.log_start_offset = log_start.value();
  const Offset offset(p.fetch_offset);
  if (offset < log_start || offset > partition.log_end_offset()) {
    out.error_code = to_int(ErrorCode::OFFSET_OUT_OF_RANGE);
    return 0;
  }
  if (offset >= hw) return 0;  // (HW, log end]: nothing committed there yet
  const uint64_t limit = byte_limit(p, budget, first_data);
  if (limit == 0) return 0;
  auto read = partition.read(offset, limit);
  if (!read.ok()) {
    out.error_code = to_int(read.code());
    logger("kafka")->warn("{} fetch at {} failed: {}", partition.log_prefix(), offset,
                          read.error().to_string());
    return 0;
  }
  return add_slice(read->slice, out);
}

// Reads one partition into `out`; returns the bytes added. `ready` is set when the answer must
// go out at once (the partition is unknown here).
uint64_t read_partition(const FetchState& state, const controller::metadata::MetadataImage& image,
                        const std::string& name, const Uuid& topic_id,
                        const FetchRequest::FetchPartition& p, uint64_t budget, bool first_data,
                        PartitionData& out, std::shared_ptr<replication::Partition>& partition_out,
                        bool& ready) {
  auto& broker = state.ctx->broker();
  out.partition_index = p.partition;
  out.records = Records::empty();
  if (state.request.isolation_level == kReadCommitted) out.aborted_transactions.emplace();
  auto found = state.ctx->version() >= 13 ? lookup_partition(broker, image, topic_id, p.partition)
                                          : lookup_partition(broker, image, name, p.partition);
  if (found.error != ErrorCode::NONE) {
    out.error_code = to_int(found.error);
    out.high_watermark = -1;
    ready = true;
    return 0;
  }
  partition_out = found.partition;
  return read_for_consumer(*found.partition, p, budget, first_data, out);
}

// One pass over the request. Returns the response and the bytes it carries; `partitions`
// receives every partition this broker leads among those asked for (to watch).
FetchResponse attempt(FetchState& state, uint64_t& total, bool& ready,
                      std::vector<std::shared_ptr<replication::Partition>>& partitions) {
  const auto image = state.ctx->broker().image();
  FetchResponse response;
  total = 0;
  const uint64_t max_bytes = static_cast<uint64_t>(std::max(state.request.max_bytes, 0));
  for (const auto& t : state.request.topics) {
    auto& topic_out = response.responses.emplace_back();
    topic_out.topic = t.topic;
    topic_out.topic_id = t.topic_id;
    for (const auto& p : t.partitions) {
      std::shared_ptr<replication::Partition> partition;
      const uint64_t budget = max_bytes > total ? max_bytes - total : 0;
      total += read_partition(state, *image, t.topic, t.topic_id, p, budget, total == 0,
                              topic_out.partitions.emplace_back(), partition, ready);
      if (partition) partitions.push_back(std::move(partition));
    }
  }
  return response;
}

void answer_or_wait(const std::shared_ptr<FetchState>& state);

void wake(const std::shared_ptr<FetchState>& state) {
  {
    std::lock_guard lock(state->mutex);
    if (state->answered) return;
    for (auto& [partition, id] : state->watches)
      partition->unwatch(id);
    state->watches.clear();
  }
  answer_or_wait(state);
}

void answer_or_wait(const std::shared_ptr<FetchState>& state) {
  uint64_t total = 0;
  bool ready = false;
  std::vector<std::shared_ptr<replication::Partition>> partitions;
  FetchResponse response = attempt(*state, total, ready, partitions);
  const int64_t now = state->ctx->broker().clock().monotonic_ms();
  const bool enough =
      ready || total >= static_cast<uint64_t>(std::max(state->request.min_bytes, 0));
  std::lock_guard lock(state->mutex);
  if (state->answered) return;
  if (enough || now >= state->deadline_ms || partitions.empty()) {
    state->answered = true;
    if (state->timer) state->timer->cancel();
    state->ctx->respond(response);
    return;
  }
  std::weak_ptr<FetchState> weak = state;
  for (auto& partition : partitions) {
    const auto id = partition->watch(replication::Partition::Watch::kHighWatermark, [weak] {
      if (auto s = weak.lock()) wake(s);
    });
    state->watches.emplace_back(partition, id);
  }
  if (!state->timer) {
    // The deadline timer owns the waiting request; watchers only refer to it.
    state->timer = state->ctx->broker().executor().schedule_after(state->deadline_ms - now,
                                                                  [state] { wake(state); });
  }
}

// The follower's partitions in replication's terms; `unknown` gets the request positions of
// partitions whose topic this broker does not know (answered UNKNOWN_TOPIC_OR_PARTITION).
replication::ReplicaFetchRequest to_replica_fetch(
    const FetchState& state, const controller::metadata::MetadataImage& image) {
  replication::ReplicaFetchRequest out;
  out.replica_id = state.replica_id;
  out.broker_epoch = state.replica_epoch;
  out.max_wait_ms = state.request.max_wait_ms;
  out.min_bytes = state.request.min_bytes;
  out.max_bytes = state.request.max_bytes;
  for (const auto& t : state.request.topics) {
    Uuid id = t.topic_id;
    if (state.ctx->version() < 13) {
      const auto* topic = image.topic(t.topic);
      id = topic != nullptr ? topic->id : Uuid{};
    }
    for (const auto& p : t.partitions) {
      replication::FetchPosition position;
      position.fetch_offset = Offset(p.fetch_offset);
      position.last_fetched_epoch = LeaderEpoch(p.last_fetched_epoch);
      position.current_leader_epoch = LeaderEpoch(p.current_leader_epoch);
      // A follower that does not report durability (not Ferry) counts as durable where it
      // fetches.
      position.durable_end =
          Offset(p.ferry_replica.durable_end_offset >= 0 ? p.ferry_replica.durable_end_offset
                                                         : p.fetch_offset);
      position.high_watermark = Offset(p.ferry_replica.high_watermark);
      position.log_start = Offset(p.log_start_offset);
      out.partitions.push_back({id, p.partition, position, p.partition_max_bytes});
    }
  }
  return out;
}

// A follower's fetch: served by replication (replica_fetch_server.h), encoded here.
void fetch_for_replica(const std::shared_ptr<FetchState>& state) {
  auto& broker = state->ctx->broker();
  auto request = to_replica_fetch(*state, *broker.image());
  replication::serve_replica_fetch(
      broker.partitions(), request, broker.executor(), broker.clock(),
      [state](replication::ServedFetch served) {
        FetchResponse response;
        size_t next = 0;
        for (const auto& t : state->request.topics) {
          auto& topic_out = response.responses.emplace_back();
          topic_out.topic = t.topic;
          topic_out.topic_id = t.topic_id;
          for (size_t i = 0; i < t.partitions.size(); ++i) {
            const auto& read = served.partitions[next++].read;
            auto& out = topic_out.partitions.emplace_back();
            out.partition_index = t.partitions[i].partition;
            out.records = Records::empty();
            out.error_code = to_int(read.error);
            out.high_watermark = read.high_watermark.value();
            out.last_stable_offset = read.high_watermark.value();
            out.log_start_offset = read.log_start.value();
            if (read.diverging) {
              out.diverging_epoch.epoch = read.diverging->epoch.value();
              out.diverging_epoch.end_offset = read.diverging->end_offset.value();
            }
            add_slice(read.slice, out);
          }
        }
        state->ctx->respond(response);
      });
}

}  // namespace

void fetch(RequestContextPtr ctx) {
  auto state = std::make_shared<FetchState>();
  if (!ctx->decode(state->request)) return;
  state->ctx = ctx;
  const int32_t replica =
      ctx->version() >= 15 ? state->request.replica_state.replica_id : state->request.replica_id;
  if (replica >= 0) {
    state->replica_id = NodeId(replica);
    state->replica_epoch = BrokerEpoch(state->request.replica_state.replica_epoch);
    return fetch_for_replica(state);
  }
  state->deadline_ms =
      ctx->broker().clock().monotonic_ms() + std::max(state->request.max_wait_ms, 0);
  answer_or_wait(state);
}

}  // namespace ferry::broker::kafka::handlers
