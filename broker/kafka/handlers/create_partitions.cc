// CreatePartitions (37): grow topics; committed by the controller quorum.
#include "broker/broker.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

void create_partitions(RequestContextPtr ctx) {
  CreatePartitionsRequest request;
  if (!ctx->decode(request)) return;
  std::vector<controller::CreatePartitionsSpec> specs;
  for (const auto& t : request.topics) {
    controller::CreatePartitionsSpec spec{.name = t.name, .count = t.count, .assignments = {}};
    if (t.assignments.has_value()) {
      spec.assignments.emplace();
      for (const auto& a : *t.assignments) {
        auto& replicas = spec.assignments->emplace_back();
        for (int32_t id : a.broker_ids)
          replicas.emplace_back(id);
      }
    }
    specs.push_back(std::move(spec));
  }
  const int64_t timeout_ms = std::max(request.timeout_ms, 0);
  ctx->broker().controller().create_partitions(
      std::move(specs), request.validate_only,
      [ctx, timeout_ms](std::vector<controller::CreatePartitionsResult> results) {
        LogIndex offset{0};
        for (const auto& r : results)
          offset = std::max(offset, r.committed_offset);
        ctx->broker().wait_for_metadata(offset, timeout_ms, [ctx, results](bool) {
          CreatePartitionsResponse response;
          for (const auto& r : results) {
            auto& out = response.results.emplace_back();
            out.name = r.name;
            out.error_code = to_int(r.error);
            if (!r.message.empty()) out.error_message = r.message;
          }
          ctx->respond(response);
        });
      });
}

}  // namespace ferry::broker::kafka::handlers
