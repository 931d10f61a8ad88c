// Shared by AlterConfigs (33) and IncrementalAlterConfigs (44): both forward topic config
// changes to the controller quorum and answer per resource.
#pragma once

#include <vector>

#include "broker/kafka/request_context.h"
#include "controller/controller_api.h"

namespace ferry::broker::kafka {

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

// Both APIs answer with the same per-resource shape: forwards `specs` and responds with a
// `Response` (AlterConfigsResponse or IncrementalAlterConfigsResponse) built from the answers.
template <typename Response>
void alter_and_respond(const RequestContextPtr& ctx,
                       std::vector<controller::AlterConfigsSpec> specs, bool validate_only) {
  alter_configs_via_controller(ctx, std::move(specs), validate_only,
                               [ctx](std::vector<AlterConfigsAnswer> answers) {
                                 Response response;
                                 for (const auto& a : answers) {
                                   auto& out = response.responses.emplace_back();
                                   out.error_code = to_int(a.error);
                                   if (!a.message.empty()) out.error_message = a.message;
                                   out.resource_type = a.resource_type;
                                   out.resource_name = a.resource_name;
                                 }
                                 ctx->respond(response);
                               });
}

}  // namespace ferry::broker::kafka
