// OffsetFetch (9): a group's committed offsets, in any group state (GROUPS.md 3.2). v0-7 ask for
// one group (v2+: null topics means every partition with an offset, and a top-level error);
// v8+ (KIP-709) for many groups, each with its own error. RequireStable (v7+, KIP-447):
// UNSTABLE_OFFSET_COMMIT for a partition whose commit is still being replicated.
#include <map>

#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

namespace {

struct Answer {
  ErrorCode error = ErrorCode::NONE;
  std::vector<group::FetchedOffset> offsets;
};

template <typename TopicsIn>
Answer fetch_group(RequestContext& ctx, const std::string& group_id, const TopicsIn& topics,
                   bool require_stable) {
  std::optional<std::vector<group::TopicPartitionRef>> wanted;
  if (topics) {
    wanted.emplace();
    for (const auto& t : *topics) {
      for (const int32_t p : t.partition_indexes)
        wanted->push_back(group::TopicPartitionRef{t.name, p});
    }
  }
  Answer a;
  a.error = coordinator(ctx).fetch_offsets(group_id, wanted, require_stable, a.offsets);
  if (a.error != ErrorCode::NONE && wanted) {
    // Old versions carry errors per partition: each requested one gets it.
    for (const auto& tp : *wanted) {
      group::FetchedOffset f;
      f.tp = tp;
      f.error = a.error;
      a.offsets.push_back(f);
    }
  }
  return a;
}

// Topics in first-seen order, partitions in the order given.
template <typename TopicOut>
void fill(std::vector<TopicOut>& out, const std::vector<group::FetchedOffset>& offsets,
          bool with_epoch) {
  std::map<std::string, size_t> index;
  for (const auto& f : offsets) {
    auto [it, fresh] = index.try_emplace(f.tp.topic, out.size());
    if (fresh) out.emplace_back().name = f.tp.topic;
    auto& p = out[it->second].partitions.emplace_back();
    p.partition_index = f.tp.partition;
    p.committed_offset = f.offset;
    if (with_epoch) p.committed_leader_epoch = f.leader_epoch;
    p.metadata = f.metadata;
    p.error_code = to_int(f.error);
  }
}

}  // namespace

void offset_fetch(RequestContextPtr ctx) {
  OffsetFetchRequest request;
  if (!ctx->decode(request)) return;
  OffsetFetchResponse response;
  const int16_t v = ctx->version();
  if (v >= 8) {
    for (const auto& g : request.groups) {
      const Answer a = fetch_group(*ctx, g.group_id, g.topics, request.require_stable);
      auto& out = response.groups.emplace_back();
      out.group_id = g.group_id;
      out.error_code = to_int(a.error);
      if (a.error == ErrorCode::NONE) fill(out.topics, a.offsets, true);
    }
    return ctx->respond(response);
  }
  const Answer a = fetch_group(*ctx, request.group_id, request.topics, request.require_stable);
  if (v >= 2) response.error_code = to_int(a.error);
  if (a.error == ErrorCode::NONE || v < 2) fill(response.topics, a.offsets, v >= 5);
  ctx->respond(response);
}

}  // namespace ferry::broker::kafka::handlers
