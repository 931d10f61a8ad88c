// OffsetDelete (47, KIP-496): delete a group's offsets for some partitions (GROUPS.md 3.4).
// Refused for topics a live consumer group subscribes to (GROUP_SUBSCRIBED_TO_TOPIC) and for
// live non-consumer groups (NON_EMPTY_GROUP); unknown topics get UNKNOWN_TOPIC_OR_PARTITION.
#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

void offset_delete(RequestContextPtr ctx) {
  OffsetDeleteRequest request;
  if (!ctx->decode(request)) return;
  auto response = std::make_shared<OffsetDeleteResponse>();
  std::vector<std::pair<size_t, size_t>> slots;
  std::vector<group::TopicPartitionRef> partitions;
  const auto image = ctx->broker().image();
  for (const auto& topic : request.topics) {
    auto& topic_out = response->topics.emplace_back();
    topic_out.name = topic.name;
    for (const auto& p : topic.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = p.partition_index;
      if (!partition_exists(*image, topic.name, p.partition_index)) {
        out.error_code = to_int(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      slots.emplace_back(response->topics.size() - 1, topic_out.partitions.size() - 1);
      partitions.push_back(group::TopicPartitionRef{topic.name, p.partition_index});
    }
  }
  coordinator(*ctx).delete_offsets(
      request.group_id, partitions, [ctx, response, slots](const group::OffsetDeleteResponse& r) {
        response->error_code = to_int(r.error);
        if (r.error != ErrorCode::NONE) {  // a group-level error answers no partition
          response->topics.clear();
          return ctx->respond(*response);
        }
        for (size_t i = 0; i < slots.size() && i < r.partitions.size(); ++i) {
          response->topics[slots[i].first].partitions[slots[i].second].error_code =
              to_int(r.partitions[i]);
        }
        ctx->respond(*response);
      });
}

}  // namespace ferry::broker::kafka::handlers
