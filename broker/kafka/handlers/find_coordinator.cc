// FindCoordinator (10): which broker coordinates a group (GROUPS.md 1.2). v0-3 ask for one key,
// v4+ (KIP-699) for many, each answered on its own. The answer comes from metadata only: the
// leader of the group's __consumer_offsets partition, on the listener the request came in on.
// The first request creates __consumer_offsets (COORDINATOR_NOT_AVAILABLE until it exists).
// Ferry has no transactions: KeyType 1 (and share groups, 2) get INVALID_REQUEST.
#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

namespace {

constexpr int8_t kGroupKey = 0;

GroupCoordinator::Found find_one(RequestContext& ctx, const std::string& key, int8_t key_type) {
  GroupCoordinator::Found found;
  if (key_type != kGroupKey) {
    found.error = ErrorCode::INVALID_REQUEST;
    found.message = key_type == 1 || key_type == 2
                        ? "Ferry has no transaction or share-group coordinator."
                        : "Unknown coordinator key type.";
    return found;
  }
  return coordinator(ctx).find(key, ctx.listener());
}

}  // namespace

void find_coordinator(RequestContextPtr ctx) {
  FindCoordinatorRequest request;
  if (!ctx->decode(request)) return;
  FindCoordinatorResponse response;
  if (ctx->version() >= 4) {
    for (const auto& key : request.coordinator_keys) {
      const auto found = find_one(*ctx, key, request.key_type);
      auto& out = response.coordinators.emplace_back();
      out.key = key;
      out.node_id = found.node_id;
      out.host = found.host;
      out.port = found.port;
      out.error_code = to_int(found.error);
      if (found.error != ErrorCode::NONE) out.error_message = found.message;
    }
    return ctx->respond(response);
  }
  const auto found = find_one(*ctx, request.key, request.key_type);
  response.error_code = to_int(found.error);
  response.node_id = found.node_id;
  response.host = found.host;
  response.port = found.port;
  if (found.error != ErrorCode::NONE) {
    response.error_message = found.message;
  } else {
    response.error_message = std::nullopt;
  }
  ctx->respond(response);
}

}  // namespace ferry::broker::kafka::handlers
