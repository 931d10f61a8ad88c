// Heartbeat (12): a member is alive; REBALANCE_IN_PROGRESS tells it to rejoin (GROUPS.md 2.6).
// While the group's partition loads the answer is NONE, blindly, as Kafka's (GROUPS.md 1.3).
#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

void heartbeat(RequestContextPtr ctx) {
  HeartbeatRequest request;
  if (!ctx->decode(request)) return;
  HeartbeatResponse response;
  ErrorCode error = ErrorCode::INVALID_GROUP_ID;
  if (!request.group_id.empty()) {
    error = coordinator(*ctx).heartbeat(group::HeartbeatRequest{
        request.group_id, request.member_id, request.group_instance_id, request.generation_id});
    if (error == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS) error = ErrorCode::NONE;
  }
  response.error_code = to_int(error);
  ctx->respond(response);
}

}  // namespace ferry::broker::kafka::handlers
