// ListGroups (16): the groups this broker coordinates (clients ask every broker), filtered by
// state (v4+, KIP-518, case-insensitive) and type (v5+; every Ferry group is "classic").
#include <algorithm>

#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"
#include "common/text.h"

namespace ferry::broker::kafka::handlers {

namespace {
bool matches(const std::vector<std::string>& filter, std::string_view value) {
  if (filter.empty()) return true;
  return std::any_of(filter.begin(), filter.end(), [&](const std::string& f) {
    return f.size() == value.size() &&
           std::equal(f.begin(), f.end(), value.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
           });
  });
}
}  // namespace

void list_groups(RequestContextPtr ctx) {
  ListGroupsRequest request;
  if (!ctx->decode(request)) return;
  ListGroupsResponse response;
  std::vector<group::ListedGroup> groups;
  response.error_code = to_int(coordinator(*ctx).list_groups(groups));
  if (matches(request.types_filter, "classic")) {
    for (const auto& g : groups) {
      const std::string_view state = group::state_name(g.state);
      if (!matches(request.states_filter, state)) continue;
      auto& out = response.groups.emplace_back();
      out.group_id = g.group_id;
      out.protocol_type = g.protocol_type;
      out.group_state = std::string(state);
      out.group_type = "classic";
    }
  }
  ctx->respond(response);
}

}  // namespace ferry::broker::kafka::handlers
