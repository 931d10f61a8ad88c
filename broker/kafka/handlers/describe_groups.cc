// DescribeGroups (15): state, protocol and members of groups this broker coordinates
// (GROUPS.md 3.4). The chosen protocol and members' subscriptions only while Stable; an unknown
// group is "Dead" with no error.
#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

void describe_groups(RequestContextPtr ctx) {
  DescribeGroupsRequest request;
  if (!ctx->decode(request)) return;
  DescribeGroupsResponse response;
  for (const auto& id : request.groups) {
    const group::DescribedGroup d = coordinator(*ctx).describe(id);
    auto& out = response.groups.emplace_back();
    out.error_code = to_int(d.error);
    out.group_id = id;
    out.group_state = d.state;
    out.protocol_type = d.protocol_type;
    out.protocol_data = d.protocol_data;
    for (const auto& m : d.members) {
      auto& member = out.members.emplace_back();
      member.member_id = m.member_id;
      member.group_instance_id = m.instance_id;
      member.client_id = m.client_id;
      member.client_host = m.client_host;
      member.member_metadata = m.metadata;
      member.member_assignment = m.assignment;
    }
  }
  ctx->respond(response);
}

}  // namespace ferry::broker::kafka::handlers
