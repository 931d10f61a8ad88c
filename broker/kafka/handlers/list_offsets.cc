// ListOffsets (2): offsets by timestamp. Special timestamps: -1 latest (the high watermark; with
// no transactions also the last stable offset), -2 earliest (log start), -3 the record with the
// largest timestamp (v7+, KIP-734), -4 earliest local (= earliest: Ferry has no tiered storage).
// A timestamp lookup answers the first record at or after it below the high watermark, or
// offset -1.
//
// KIP-207: a new leader whose HW has not reached the start of its epoch yet may know less than
// the old leader did; it answers OFFSET_NOT_AVAILABLE (v5+; LEADER_NOT_AVAILABLE below, which
// older clients retry) to "latest" and to timestamp lookups, so an offset never goes backwards
// across a failover. Clients retry both.
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/partition_lookup.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

namespace {

constexpr int64_t kLatest = -1;
constexpr int64_t kEarliest = -2;
constexpr int64_t kMaxTimestamp = -3;
constexpr int64_t kEarliestLocal = -4;

using PartitionOut = ListOffsetsResponse::ListOffsetsPartitionResponse;

// The leader epoch of the batch holding `offset` (from the epoch cache), -1 if unknown.
int32_t epoch_of(replication::Partition& partition, Offset offset) {
  int32_t epoch = -1;
  for (const auto& e : partition.log().epoch_entries()) {
    if (e.start_offset <= offset) epoch = e.epoch.value();
  }
  return epoch;
}

void lookup(replication::Partition& partition, int64_t timestamp, int16_t version,
            PartitionOut& out) {
  const Offset hw = partition.high_watermark();
  if (timestamp != kEarliest && timestamp != kEarliestLocal) {
    if (const auto code = partition.check_high_watermark_current(); code != ErrorCode::NONE) {
      out.error_code = to_int(version >= 5 ? code : ErrorCode::LEADER_NOT_AVAILABLE);
      return;
    }
  }
  if (timestamp == kLatest) {
    out.offset = hw.value();
    out.leader_epoch = hw > Offset(0) ? epoch_of(partition, hw - 1) : -1;
    return;
  }
  if (timestamp == kEarliest || timestamp == kEarliestLocal) {
    out.offset = partition.log_start_offset().value();
    out.leader_epoch = epoch_of(partition, partition.log_start_offset());
    return;
  }
  Result<std::optional<storage::TimestampOffset>> found =
      timestamp == kMaxTimestamp ? partition.log().offset_of_max_timestamp()
                                 : partition.log().offset_for_timestamp(timestamp);
  if (!found.ok()) {
    out.error_code = to_int(found.code());
    return;
  }
  if (!found->has_value() || (*found)->offset >= hw) return;  // -1 / -1: none below the HW
  out.timestamp = (*found)->timestamp;
  out.offset = (*found)->offset.value();
  out.leader_epoch = epoch_of(partition, (*found)->offset);
}

}  // namespace

void list_offsets(RequestContextPtr ctx) {
  ListOffsetsRequest request;
  if (!ctx->decode(request)) return;
  auto& broker = ctx->broker();
  const auto image = broker.image();
  ListOffsetsResponse response;
  for (const auto& t : request.topics) {
    auto& topic_out = response.topics.emplace_back();
    topic_out.name = t.name;
    for (const auto& p : t.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = p.partition_index;
      auto found = lookup_partition(broker, *image, t.name, p.partition_index);
      if (found.error != ErrorCode::NONE) {
        out.error_code = to_int(found.error);
        continue;
      }
      const int32_t epoch = ctx->version() >= 4 ? p.current_leader_epoch : -1;
      if (const auto code = found.partition->check_leader(epoch); code != ErrorCode::NONE) {
        out.error_code = to_int(code);
        continue;
      }
      if (p.timestamp < kEarliestLocal) {
        out.error_code = to_int(ErrorCode::INVALID_REQUEST);
        continue;
      }
      lookup(*found.partition, p.timestamp, ctx->version(), out);
    }
  }
  ctx->respond(response);
}

}  // namespace ferry::broker::kafka::handlers
