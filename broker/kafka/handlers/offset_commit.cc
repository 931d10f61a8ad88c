// OffsetCommit (8): store a group's consumed positions (GROUPS.md 3.1). Partitions of unknown
// topics get UNKNOWN_TOPIC_OR_PARTITION; the rest go to the coordinator, which answers once the
// records are replicated (acks=all on __consumer_offsets). v0 commits have no generation or
// member (a simple commit); v1 carries a per-partition timestamp; v2-4 a retention.
#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

void offset_commit(RequestContextPtr ctx) {
  auto request = std::make_shared<OffsetCommitRequest>();
  if (!ctx->decode(*request)) return;
  // The response mirrors the request; `slots` maps each partition sent to the core back to it.
  auto response = std::make_shared<OffsetCommitResponse>();
  std::vector<std::pair<size_t, size_t>> slots;
  group::CommitRequest commit;
  commit.group_id = request->group_id;
  commit.generation = request->generation_id_or_member_epoch;
  commit.member_id = request->member_id;
  commit.instance_id = request->group_instance_id;
  commit.retention_ms = request->retention_time_ms;
  const auto image = ctx->broker().image();
  for (const auto& topic : request->topics) {
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
      commit.partitions.push_back(group::CommitPartition{{topic.name, p.partition_index},
                                                         p.committed_offset,
                                                         p.committed_leader_epoch,
                                                         p.committed_metadata,
                                                         p.commit_timestamp});
    }
  }
  auto finish = [ctx, response, slots](const std::vector<ErrorCode>& errors) {
    for (size_t i = 0; i < slots.size() && i < errors.size(); ++i) {
      response->topics[slots[i].first].partitions[slots[i].second].error_code = to_int(errors[i]);
    }
    ctx->respond(*response);
  };
  if (commit.partitions.empty()) return finish({});
  if (request->group_id.empty() && commit.generation >= 0) {
    // An empty id is allowed for simple commits only (GROUPS.md 1.3).
    return finish(std::vector<ErrorCode>(slots.size(), ErrorCode::INVALID_GROUP_ID));
  }
  coordinator(*ctx).commit(commit,
                           [finish](const group::CommitResponse& r) { finish(r.partitions); });
}

}  // namespace ferry::broker::kafka::handlers
