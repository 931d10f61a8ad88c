// AlterConfigs (33): replaces a topic's whole set of config overrides (the legacy,
// non-incremental form), committed by the controller quorum.
#include "broker/kafka/handlers/alter_configs_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

void alter_configs(RequestContextPtr ctx) {
  AlterConfigsRequest request;
  if (!ctx->decode(request)) return;
  std::vector<controller::AlterConfigsSpec> specs;
  for (const auto& r : request.resources) {
    controller::AlterConfigsSpec spec;
    spec.type = static_cast<controller::ConfigResourceType>(r.resource_type);
    spec.name = r.resource_name;
    spec.incremental = false;
    for (const auto& c : r.configs) {
      spec.changes.push_back({c.name, controller::ConfigOp::kSet, c.value});
    }
    specs.push_back(std::move(spec));
  }
  alter_and_respond<AlterConfigsResponse>(ctx, std::move(specs), request.validate_only);
}

}  // namespace ferry::broker::kafka::handlers
