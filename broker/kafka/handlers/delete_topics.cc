// DeleteTopics (20): by name (v0-5) or by name or topic id (v6+), committed by the controller
// quorum; partitions are removed from brokers as they apply the change.
#include "broker/broker.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

void delete_topics(RequestContextPtr ctx) {
  DeleteTopicsRequest request;
  if (!ctx->decode(request)) return;
  std::vector<controller::DeleteTopicSpec> specs;
  if (ctx->version() >= 6) {
    for (const auto& t : request.topics) {
      controller::DeleteTopicSpec spec;
      if (t.name.has_value()) spec.name = *t.name;
      if (!t.topic_id.is_zero()) spec.id = t.topic_id;
      specs.push_back(std::move(spec));
    }
  } else {
    for (const auto& name : request.topic_names)
      specs.push_back({.name = name, .id = {}});
  }

  auto respond = [ctx](std::vector<controller::DeleteTopicResult> results) {
    DeleteTopicsResponse response;
    for (const auto& r : results) {
      auto& out = response.responses.emplace_back();
      out.name = r.name;
      out.topic_id = r.topic_id;
      out.error_code = to_int(r.error);
      if (!r.message.empty()) out.error_message = r.message;
    }
    ctx->respond(response);
  };

  if (!ctx->broker().config().get_bool("delete.topic.enable")) {
    std::vector<controller::DeleteTopicResult> refused;
    for (const auto& s : specs) {
      refused.push_back({.name = s.name.value_or(""),
                         .topic_id = s.id.value_or(Uuid{}),
                         .error = ErrorCode::TOPIC_DELETION_DISABLED,
                         .message = "Topic deletion is disabled.",
                         .committed_offset = LogIndex(0)});
    }
    return respond(std::move(refused));
  }
  const int64_t timeout_ms = std::max(request.timeout_ms, 0);
  ctx->broker().controller().delete_topics(
      std::move(specs),
      [ctx, respond, timeout_ms](std::vector<controller::DeleteTopicResult> results) {
        LogIndex offset{0};
        for (const auto& r : results)
          offset = std::max(offset, r.committed_offset);
        ctx->broker().wait_for_metadata(
            offset, timeout_ms,
            [respond, results = std::move(results)](bool) mutable { respond(std::move(results)); });
      });
}

}  // namespace ferry::broker::kafka::handlers
