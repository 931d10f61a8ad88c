// CreateTopics (19): validated and committed by the controller quorum (forwarded to the active
// controller); the answer waits until this broker's metadata image includes the new topics, so
// a client's next Metadata request on this broker sees them.
#include <algorithm>
#include <map>
#include <optional>
#include <string>

#include "broker/broker.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"
#include "common/config.h"

namespace ferry::broker::kafka::handlers {

namespace {

using Result_ = CreateTopicsResponse::CreatableTopicResult;

void fill_configs(RequestContext& ctx, const controller::CreateTopicResult& r, Result_& out) {
  out.configs.emplace();
  for (const auto& e : config::describe_topic_config(r.configs, ctx.broker().config())) {
    auto& c = out.configs->emplace_back();
    c.name = e.name;
    c.value = e.value;
    c.read_only = false;
    c.config_source = static_cast<int8_t>(e.source);
    c.is_sensitive = e.spec->sensitive;
  }
}

}  // namespace

void create_topics(RequestContextPtr ctx) {
  CreateTopicsRequest request;
  if (!ctx->decode(request)) return;

  // Kafka refuses every entry of a name given more than once.
  std::map<std::string, int> counts;
  for (const auto& t : request.topics)
    ++counts[t.name];
  std::vector<controller::CreateTopicSpec> specs;
  for (const auto& t : request.topics) {
    if (counts[t.name] > 1) continue;
    controller::CreateTopicSpec spec{.name = t.name,
                                     .num_partitions = t.num_partitions,
                                     .replication_factor = t.replication_factor};
    for (const auto& a : t.assignments) {
      auto& replicas = spec.assignments[a.partition_index];
      for (int32_t id : a.broker_ids)
        replicas.emplace_back(id);
    }
    for (const auto& c : t.configs)
      spec.configs.emplace_back(c.name, c.value);
    specs.push_back(std::move(spec));
  }

  // Read before `request` moves into the answer below.
  const bool validate_only = request.validate_only;
  const int64_t timeout_ms = std::max(request.timeout_ms, 0);
  auto respond = [ctx, request = std::move(request),
                  counts](std::vector<controller::CreateTopicResult> results) {
    CreateTopicsResponse response;
    std::map<std::string, const controller::CreateTopicResult*> by_name;
    for (const auto& r : results)
      by_name[r.name] = &r;
    for (const auto& t : request.topics) {
      auto& out = response.topics.emplace_back();
      out.name = t.name;
      if (counts.at(t.name) > 1) {
        out.error_code = to_int(ErrorCode::INVALID_REQUEST);
        out.error_message = fmt::format(
            "Create topics request from client `{}` contains multiple entries for the following "
            "topics: {}",
            ctx->client_id(), t.name);
        continue;
      }
      const auto* r = by_name.at(t.name);
      out.error_code = to_int(r->error);
      out.error_message = r->message.empty() ? std::nullopt : std::optional(r->message);
      if (r->error != ErrorCode::NONE) continue;
      out.topic_id = r->topic_id;
      out.num_partitions = r->num_partitions;
      out.replication_factor = r->replication_factor;
      if (ctx->version() >= 5) fill_configs(*ctx, *r, out);
    }
    ctx->respond(response);
  };

  if (specs.empty()) return respond({});
  ctx->broker().controller().create_topics(
      std::move(specs), validate_only,
      [ctx, respond = std::move(respond),
       timeout_ms](std::vector<controller::CreateTopicResult> results) mutable {
        LogIndex offset{0};
        for (const auto& r : results)
          offset = std::max(offset, r.committed_offset);
        ctx->broker().wait_for_metadata(
            offset, timeout_ms,
            [respond = std::move(respond), results = std::move(results)](bool) mutable {
              respond(std::move(results));
            });
      });
}

}  // namespace ferry::broker::kafka::handlers
