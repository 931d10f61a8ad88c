// Shared by AlterConfigs (33) and IncrementalAlterConfigs (44): both forward topic config
// changes to the controller quorum and answer per resource.
#pragma once

#include <vector>

#include "broker/kafka/request_context.h"
#include "controller/controller_api.h"

namespace ferry::kafka {

struct AlterConfigsAnswer {
  int8_t resource_type;
  std::string resource_name;
  ErrorCode error;
  std::string message;
};

// Sends the topic resources of `specs` to the controller (broker resources are refused here:
// Ferry has no dynamic broker configuration yet) and calls `respond` with one answer per spec,
// in order, once this broker's image includes the changes.
void alter_configs_via_controller(const RequestContextPtr& ctx,
                                  std::vector<controller::AlterConfigsSpec> specs,
                                  bool validate_only,
                                  std::function<void(std::vector<AlterConfigsAnswer>)> respond);

}  // namespace ferry::kafka
