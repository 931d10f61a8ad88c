#include "broker/kafka/handlers/alter_configs_common.h"

#include "broker/broker.h"

namespace ferry::broker::kafka {

void alter_configs_via_controller(const RequestContextPtr& ctx,
                                  std::vector<controller::AlterConfigsSpec> specs,
                                  bool validate_only,
                                  std::function<void(std::vector<AlterConfigsAnswer>)> respond) {
  // Answers in request order; topic resources are filled in when the controller replies.
  auto answers = std::make_shared<std::vector<AlterConfigsAnswer>>();
  std::vector<controller::AlterConfigsSpec> to_controller;
  std::vector<size_t> positions;
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto& s = specs[i];
    answers->push_back({static_cast<int8_t>(s.type), s.name, ErrorCode::NONE, ""});
    if (s.type == controller::ConfigResourceType::kTopic) {
      positions.push_back(i);
      to_controller.push_back(s);
    } else {
      answers->back().error = ErrorCode::INVALID_REQUEST;
      answers->back().message =
          "Ferry has no dynamic broker configuration yet: set broker configs in the broker's "
          "properties file, environment (FERRY_*) or --override.";
    }
  }
  if (to_controller.empty()) return respond(std::move(*answers));
  ctx->broker().controller().alter_configs(
      std::move(to_controller), validate_only,
      [ctx, answers, positions,
       respond = std::move(respond)](std::vector<controller::AlterConfigsResult> results) mutable {
        LogIndex offset{0};
        for (size_t j = 0; j < results.size() && j < positions.size(); ++j) {
          auto& a = (*answers)[positions[j]];
          a.error = results[j].error;
          a.message = results[j].message;
          offset = std::max(offset, results[j].committed_offset);
        }
        ctx->broker().wait_for_metadata(offset, 30'000,
                                        [answers, respond](bool) { respond(std::move(*answers)); });
      });
}

}  // namespace ferry::broker::kafka
