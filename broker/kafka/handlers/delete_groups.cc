// DeleteGroups (42, KIP-229): delete empty groups and their offsets (tombstones in
// __consumer_offsets, GROUPS.md 3.4): NON_EMPTY_GROUP while members remain, GROUP_ID_NOT_FOUND
// for unknown groups. Each group is answered once its tombstones are replicated.
#include <atomic>

#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

void delete_groups(RequestContextPtr ctx) {
  DeleteGroupsRequest request;
  if (!ctx->decode(request)) return;
  auto response = std::make_shared<DeleteGroupsResponse>();
  for (const auto& id : request.groups_names)
    response->results.emplace_back().group_id = id;
  if (response->results.empty()) return ctx->respond(*response);
  auto remaining = std::make_shared<std::atomic<size_t>>(response->results.size());
  auto mutex = std::make_shared<std::mutex>();
  for (size_t i = 0; i < request.groups_names.size(); ++i) {
    coordinator(*ctx).delete_group(request.groups_names[i],
                                   [ctx, response, remaining, mutex, i](ErrorCode code) {
                                     {
                                       std::lock_guard lock(*mutex);
                                       response->results[i].error_code = to_int(code);
                                     }
                                     if (remaining->fetch_sub(1) == 1) ctx->respond(*response);
                                   });
  }
}

}  // namespace ferry::broker::kafka::handlers
