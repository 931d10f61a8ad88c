// Fetch (1): read batches up to the high watermark, sent with sendfile.
//
//  * Topics by name (v4-12) or by topic id (v13+: UNKNOWN_TOPIC_ID for unknown ids).
//  * Offsets outside [log start, high watermark]: OFFSET_OUT_OF_RANGE (clients then reset with
//    ListOffsets). CurrentLeaderEpoch (v9+, -1 = do not check): FENCED_LEADER_EPOCH /
//    UNKNOWN_LEADER_EPOCH.
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

namespace ferry::kafka::handlers {

namespace {

constexpr int8_t kReadCommitted = 1;

using PartitionData = FetchResponse::PartitionData;

struct FetchState : std::enable_shared_from_this<FetchState> {
  RequestContextPtr ctx;
  FetchRequest request;
  int64_t deadline_ms = 0;
  std::mutex mutex;
  bool answered = false;
  std::vector<std::pair<std::shared_ptr<broker::Partition>, uint64_t>> watches;
  std::shared_ptr<net::TimerHandle> timer;
};

// Reads one partition into `out`; returns the bytes added.
uint64_t read_partition(broker::Broker& broker, const metadata::MetadataImage& image,
                        const FetchRequest& request, int16_t version, const std::string& name,
                        const Uuid& topic_id, const FetchRequest::FetchPartition& p,
                        uint64_t budget, bool first_data, PartitionData& out,
                        std::shared_ptr<broker::Partition>& partition_out) {
  out.partition_index = p.partition;
  out.records = Records::empty();
  if (request.isolation_level == kReadCommitted) out.aborted_transactions.emplace();
  auto found = version >= 13 ? lookup_partition(broker, image, topic_id, p.partition)
                             : lookup_partition(broker, image, name, p.partition);
  if (found.error != ErrorCode::NONE) {
    out.error_code = to_int(found.error);
    out.high_watermark = -1;
    return 0;
  }
  auto& partition = *found.partition;
  partition_out = found.partition;
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
  if (offset < log_start || offset > hw) {
    out.error_code = to_int(ErrorCode::OFFSET_OUT_OF_RANGE);
    return 0;
  }
  if (offset == hw) return 0;
  uint64_t limit =
      std::min<uint64_t>(static_cast<uint64_t>(std::max(p.partition_max_bytes, 0)), budget);
  if (limit == 0) {
    if (!first_data) return 0;
    limit = 1;  // KIP-74: the first batch comes whole whatever the limits
  }
  auto read = partition.read(offset, limit);
  if (!read.ok()) {
    out.error_code = to_int(read.code());
    logger("kafka")->warn("{} fetch at {} failed: {}", partition.log_prefix(), offset,
                          read.error().to_string());
    return 0;
  }
  const auto& slice = read->slice;
  if (slice.length == 0) return 0;
  out.records = Records();
  out.records.append(FileRegion{slice.file, slice.file->fd(), static_cast<int64_t>(slice.position),
                                static_cast<size_t>(slice.length)});
  return slice.length;
}

// One pass over the request. Returns the response and the bytes it carries; `partitions`
// receives every partition this broker leads among those asked for (to watch).
FetchResponse attempt(FetchState& state, uint64_t& total,
                      std::vector<std::shared_ptr<broker::Partition>>& partitions) {
  auto& broker = state.ctx->broker();
  const auto image = broker.image();
  const int16_t version = state.ctx->version();
  FetchResponse response;
  total = 0;
  const uint64_t max_bytes = static_cast<uint64_t>(std::max(state.request.max_bytes, 0));
  for (const auto& t : state.request.topics) {
    auto& topic_out = response.responses.emplace_back();
    topic_out.topic = t.topic;
    topic_out.topic_id = t.topic_id;
    for (const auto& p : t.partitions) {
      std::shared_ptr<broker::Partition> partition;
      const uint64_t budget = max_bytes > total ? max_bytes - total : 0;
      total += read_partition(broker, *image, state.request, version, t.topic, t.topic_id, p,
                              budget, total == 0, topic_out.partitions.emplace_back(), partition);
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
  std::vector<std::shared_ptr<broker::Partition>> partitions;
  FetchResponse response = attempt(*state, total, partitions);
  const int64_t now = state->ctx->broker().clock().monotonic_ms();
  const bool enough = total >= static_cast<uint64_t>(std::max(state->request.min_bytes, 0));
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
    const auto id = partition->watch_high_watermark([weak] {
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

}  // namespace

void fetch(RequestContextPtr ctx) {
  auto state = std::make_shared<FetchState>();
  if (!ctx->decode(state->request)) return;
  state->ctx = ctx;
  state->deadline_ms =
      ctx->broker().clock().monotonic_ms() + std::max(state->request.max_wait_ms, 0);
  answer_or_wait(state);
}

}  // namespace ferry::kafka::handlers
