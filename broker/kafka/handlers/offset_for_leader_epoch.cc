// OffsetForLeaderEpoch (23): where a leader epoch ends on this partition's leader (KIP-101/279),
// so a consumer that saw records of epoch E can tell whether the log was truncated after a
// leader change (KIP-320; librdkafka >= 2.1 and the Java client validate positions with it).
//
//  * The answer is the end of the largest epoch <= the requested one: the start offset of the
//    next epoch, or the log end when it is the latest (storage's end_offset_for_epoch, Kafka's
//    LeaderEpochFileCache.endOffsetFor); -1/-1 when the leader has no such epoch.
//  * CurrentLeaderEpoch (v2+): FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH as for Fetch;
//    NOT_LEADER_OR_FOLLOWER off the leader; UNKNOWN_TOPIC_OR_PARTITION for unknown partitions.
//  * Followers of Ferry learn divergence from Fetch's DivergingEpoch instead (fetch.cc); a
//    ReplicaId >= 0 is answered the same way.
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/partition_lookup.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

void offset_for_leader_epoch(RequestContextPtr ctx) {
  OffsetForLeaderEpochRequest request;
  if (!ctx->decode(request)) return;
  auto& broker = ctx->broker();
  const auto image = broker.image();
  OffsetForLeaderEpochResponse response;
  for (const auto& t : request.topics) {
    auto& topic_out = response.topics.emplace_back();
    topic_out.topic = t.topic;
    for (const auto& p : t.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition = p.partition;
      auto found = lookup_partition(broker, *image, t.topic, p.partition);
      if (found.error != ErrorCode::NONE) {
        out.error_code = to_int(found.error);
        continue;
      }
      auto end = found.partition->end_offset_for_epoch(p.current_leader_epoch,
                                                       LeaderEpoch(p.leader_epoch));
      if (!end.ok()) {
        out.error_code = to_int(end.code());
        continue;
      }
      out.leader_epoch = end->epoch.value();
      out.end_offset = end->end_offset.value();
    }
  }
  ctx->respond(response);
}

}  // namespace ferry::broker::kafka::handlers
