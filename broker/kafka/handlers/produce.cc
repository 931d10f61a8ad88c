// Produce (0): append record batches to partitions this broker leads.
//
//  * acks and min.insync.replicas follow replication/acks_policy.h (the one place they live):
//    acks=0 gets no response at all (CLIENTS.md section 3), acks=1 an answer after the local
//    append, acks=-1 (all) an answer when the high watermark passes each batch (in Ferry's
//    default durable mode once every ISR member has fsynced it), or REQUEST_TIMED_OUT after
//    TimeoutMs. Other acks values: INVALID_REQUIRED_ACKS.
//  * The batches are validated and stamped in place inside the request frame (no copy).
//  * v0-2 (message format v0/v1, which Ferry does not store) get UNSUPPORTED_VERSION for every
//    partition; the range is advertised from v0 only for librdkafka's feature checks.
//  * Every append asks for a group-committed fsync at once, so in durable mode the high
//    watermark (and what consumers see) follows within an fsync, whatever the acks.
#include <atomic>

#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/partition_lookup.h"
#include "broker/protocol/generated/messages.h"
#include "common/topic_name.h"

namespace ferry::broker::kafka::handlers {

namespace {

constexpr int16_t kFirstRecordBatchV2Version = 3;

using PartitionResponse = ProduceResponse::PartitionProduceResponse;

void set_error(PartitionResponse& out, ErrorCode code, const std::string& message,
               int16_t version) {
  out.error_code = to_int(code);
  out.base_offset = -1;
  if (version >= 8 && !message.empty()) out.error_message = message;
}

// An acks=all wait and where its outcome goes: indices, not a pointer, because the response's
// vectors grow (and move their elements) while the request is walked; a pointer taken then
// dangled, and a failed wait wrote into freed memory while the client was told the write had
// succeeded.
struct Pending {
  std::shared_ptr<replication::Partition> partition;
  Offset needed_end;
  size_t topic;
  size_t index;
};

// Appends every partition's batches; fills `response`; returns the acks=all waits.
std::vector<Pending> append_all(RequestContext& ctx, ProduceRequest& request,
                                ProduceResponse& response) {
  auto& broker = ctx.broker();
  const auto image = broker.image();
  const auto acks = replication::parse_acks(request.acks);
  std::vector<Pending> pending;
  for (auto& topic : request.topic_data) {
    auto& topic_out = response.responses.emplace_back();
    topic_out.name = topic.name;
    for (auto& p : topic.partition_data) {
      auto& out = topic_out.partition_responses.emplace_back();
      out.index = p.index;
      if (!acks) {
        set_error(out, ErrorCode::INVALID_REQUIRED_ACKS,
                  fmt::format("Invalid required acks {}: must be -1, 0 or 1", request.acks),
                  ctx.version());
        continue;
      }
      if (ctx.version() < kFirstRecordBatchV2Version) {
        set_error(out, ErrorCode::UNSUPPORTED_VERSION,
                  "Produce v0-2 (message format v0/v1) is not supported: use Produce v3+ with "
                  "record batch v2",
                  ctx.version());
        continue;
      }
      if (request.transactional_id.has_value()) {
        set_error(out, ErrorCode::INVALID_REQUEST, "Ferry does not support transactions yet",
                  ctx.version());
        continue;
      }
      if (is_internal_topic(topic.name)) {
        // Only the coordinator writes there: a record it cannot parse would fail the next load
        // of the partition and leave its groups without a coordinator.
        set_error(out, ErrorCode::INVALID_TOPIC_EXCEPTION,
                  fmt::format("Cannot append to internal topic {}", topic.name), ctx.version());
        continue;
      }
      auto found = lookup_partition(broker, *image, topic.name, p.index);
      if (found.error != ErrorCode::NONE) {
        set_error(out, found.error, found.message, ctx.version());
        continue;
      }
      if (p.records.is_null() || p.records.size() == 0) {
        set_error(out, ErrorCode::CORRUPT_MESSAGE, "The request carries no record batch",
                  ctx.version());
        continue;
      }
      auto appended = found.partition->append(p.records.mutable_view(), *acks);
      if (!appended.ok()) {
        set_error(out, appended.code(), appended.error().message(), ctx.version());
        continue;
      }
      out.base_offset = appended->result.base_offset.value();
      out.log_append_time_ms = appended->result.log_append_time_ms;
      out.log_start_offset = appended->result.log_start_offset.value();
      auto& partitions = broker.partitions();
      if (partitions.ack_mode() == replication::AckMode::kDurable) {
        partitions.request_flush(found.partition);
      }
      if (*acks == replication::Acks::kAll) {
        pending.push_back({found.partition, appended->needed_end, response.responses.size() - 1,
                           topic_out.partition_responses.size() - 1});
      }
    }
  }
  return pending;
}

}  // namespace

void produce(RequestContextPtr ctx) {
  auto request = std::make_shared<ProduceRequest>();
  if (!ctx->decode(*request)) return;
  auto response = std::make_shared<ProduceResponse>();
  auto pending = append_all(*ctx, *request, *response);
  if (request->acks == 0) return ctx->respond_nothing();
  if (pending.empty()) return ctx->respond(*response);

  auto remaining = std::make_shared<std::atomic<size_t>>(pending.size());
  const int64_t timeout_ms = std::max(request->timeout_ms, 0);
  for (auto& wait : pending) {
    // `request` keeps the frame (and so `response` targets) alive until every wait is done.
    wait.partition->wait_for_high_watermark(
        wait.needed_end, timeout_ms,
        [ctx, request, response, remaining, topic = wait.topic,
         index = wait.index](ErrorCode code) {
          if (code != ErrorCode::NONE) {
            // As Kafka's DelayedProduce: the error and no base offset.
            set_error(response->responses[topic].partition_responses[index], code,
                      std::string(error_default_message(code)), ctx->version());
          }
          if (remaining->fetch_sub(1) == 1) ctx->respond(*response);
        });
  }
}

}  // namespace ferry::broker::kafka::handlers
