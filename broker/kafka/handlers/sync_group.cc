// SyncGroup (14): the leader hands out the assignment; followers wait for theirs (GROUPS.md
// 2.5). While the group's partition loads, REBALANCE_IN_PROGRESS: the rebalance state is lost
// and old clients do not expect COORDINATOR_LOAD_IN_PROGRESS here (GROUPS.md 1.3).
#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

void sync_group(RequestContextPtr ctx) {
  SyncGroupRequest request;
  if (!ctx->decode(request)) return;
  auto answer = [ctx](const group::SyncResponse& r) {
    SyncGroupResponse out;
    out.error_code = to_int(r.error);
    if (r.error == ErrorCode::NONE) {
      out.protocol_type = r.protocol_type;
      out.protocol_name = r.protocol_name;
    }
    out.assignment = r.assignment;
    ctx->respond(out);
  };
  if (request.group_id.empty()) {
    group::SyncResponse r;
    r.error = ErrorCode::INVALID_GROUP_ID;
    return answer(r);
  }
  if (coordinator(*ctx).check(request.group_id) == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS) {
    group::SyncResponse r;
    r.error = ErrorCode::REBALANCE_IN_PROGRESS;
    return answer(r);
  }
  group::SyncRequest sync;
  sync.group_id = request.group_id;
  sync.member_id = request.member_id;
  sync.instance_id = request.group_instance_id;
  sync.generation = request.generation_id;
  sync.protocol_type = request.protocol_type;
  sync.protocol_name = request.protocol_name;
  for (const auto& a : request.assignments)
    sync.assignments.emplace_back(a.member_id, a.assignment);
  coordinator(*ctx).sync(sync, answer);
}

}  // namespace ferry::broker::kafka::handlers
