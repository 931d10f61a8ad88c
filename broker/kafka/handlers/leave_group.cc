// LeaveGroup (13): members leave at once instead of waiting out their session (GROUPS.md 2.7).
// v0-2 name one member (the top-level error is its error); v3+ (KIP-345) a batch, each with its
// own error, where an empty member id with an instance id removes that static member.
#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

void leave_group(RequestContextPtr ctx) {
  LeaveGroupRequest request;
  if (!ctx->decode(request)) return;
  const bool batch = ctx->version() >= 3;
  std::vector<group::LeaveMember> members;
  if (batch) {
    for (const auto& m : request.members)
      members.push_back(group::LeaveMember{m.member_id, m.group_instance_id});
  } else {
    members.push_back(group::LeaveMember{request.member_id, std::nullopt});
  }
  group::LeaveResponse left;
  if (request.group_id.empty()) {
    left.error = ErrorCode::INVALID_GROUP_ID;
    left.members.assign(members.size(), ErrorCode::NONE);
  } else {
    left = coordinator(*ctx).leave(request.group_id, members);
  }
  LeaveGroupResponse response;
  response.error_code = to_int(left.error);
  if (!batch && left.error == ErrorCode::NONE && !left.members.empty()) {
    response.error_code = to_int(left.members.front());
  }
  if (batch && left.error == ErrorCode::NONE) {
    for (size_t i = 0; i < members.size(); ++i) {
      auto& out = response.members.emplace_back();
      out.member_id = members[i].member_id;
      out.group_instance_id = members[i].instance_id;
      out.error_code = to_int(left.members[i]);
    }
  }
  ctx->respond(response);
}

}  // namespace ferry::broker::kafka::handlers
