// JoinGroup (11): a member joins (or rejoins) a classic group; the answer may wait for the join
// phase to end (broker/group/group_shard.h). v0 carries no rebalance timeout: the session
// timeout stands in for it (KAFKA-8653). v4+ get MEMBER_ID_REQUIRED first (KIP-394), v9+ may get
// SkipAssignment (KIP-814).
#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

void join_group(RequestContextPtr ctx) {
  JoinGroupRequest request;
  if (!ctx->decode(request)) return;
  const int16_t version = ctx->version();
  auto answer = [ctx, version](const group::JoinResponse& r) {
    JoinGroupResponse out;
    out.error_code = to_int(r.error);
    out.generation_id = r.generation;
    out.protocol_type = r.protocol_type;
    if (r.protocol_name) {
      out.protocol_name = r.protocol_name;
    } else {
      out.protocol_name = version >= 7 ? std::nullopt : std::optional<std::string>("");
    }
    out.leader = r.leader;
    out.skip_assignment = r.skip_assignment;
    out.member_id = r.member_id;
    for (const auto& m : r.members) {
      auto& member = out.members.emplace_back();
      member.member_id = m.member_id;
      member.group_instance_id = m.instance_id;
      member.metadata = m.metadata;
    }
    ctx->respond(out);
  };
  if (request.group_id.empty()) {
    group::JoinResponse r;
    r.error = ErrorCode::INVALID_GROUP_ID;
    r.member_id = request.member_id;
    return answer(r);
  }
  group::JoinRequest join;
  join.group_id = request.group_id;
  join.member_id = request.member_id;
  join.instance_id = request.group_instance_id;
  join.client_id = ctx->client_id();
  join.client_host = client_host(*ctx);
  join.session_timeout_ms = request.session_timeout_ms;
  join.rebalance_timeout_ms =
      version >= 1 ? request.rebalance_timeout_ms : request.session_timeout_ms;
  join.protocol_type = request.protocol_type;
  for (const auto& p : request.protocols)
    join.protocols.push_back(group::Protocol{p.name, p.metadata});
  join.require_known_member_id = version >= 4;
  join.supports_skip_assignment = version >= 9;
  coordinator(*ctx).join(join, answer);
}

}  // namespace ferry::broker::kafka::handlers
