// IncrementalAlterConfigs (44): SET / DELETE / APPEND / SUBTRACT on single topic config keys,
// committed by the controller quorum.
#include "broker/kafka/handlers/alter_configs_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

void incremental_alter_configs(RequestContextPtr ctx) {
  IncrementalAlterConfigsRequest request;
  if (!ctx->decode(request)) return;
  std::vector<controller::AlterConfigsSpec> specs;
  for (const auto& r : request.resources) {
    controller::AlterConfigsSpec spec;
    spec.type = static_cast<controller::ConfigResourceType>(r.resource_type);
    spec.name = r.resource_name;
    spec.incremental = true;
    for (const auto& c : r.configs) {
      spec.changes.push_back(
          {c.name, static_cast<controller::ConfigOp>(c.config_operation), c.value});
    }
    specs.push_back(std::move(spec));
  }
  alter_and_respond<IncrementalAlterConfigsResponse>(ctx, std::move(specs), request.validate_only);
}

}  // namespace ferry::broker::kafka::handlers
