// DescribeConfigs (32): topic configs (overrides from the metadata image over the broker's
// values) and this broker's static configuration, from the one config schema (common/config.h).
#include "broker/broker.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"
#include "common/config.h"
#include "common/topic_name.h"

namespace ferry::broker::kafka::handlers {

namespace {

constexpr int8_t kTopicResource = 2;
constexpr int8_t kBrokerResource = 4;

using Resource = DescribeConfigsRequest::DescribeConfigsResource;
using ResultT = DescribeConfigsResponse::DescribeConfigsResult;
using Entry = DescribeConfigsResponse::DescribeConfigsResourceResult;

bool wanted(const Resource& r, const std::string& name) {
  if (!r.configuration_keys.has_value()) return true;
  return std::find(r.configuration_keys->begin(), r.configuration_keys->end(), name) !=
         r.configuration_keys->end();
}

Entry make_entry(const DescribeConfigsRequest& req, const std::string& name,
                 const std::string& value, config::Source source, const config::KeySpec& spec,
                 bool read_only) {
  Entry e;
  e.name = name;
  e.value = spec.sensitive ? std::nullopt : std::optional(value);
  e.read_only = read_only;
  e.is_default = source == config::Source::kDefault;
  e.config_source = static_cast<int8_t>(source);
  e.is_sensitive = spec.sensitive;
  e.config_type = static_cast<int8_t>(spec.type);
  if (req.include_documentation) e.documentation = std::string(spec.doc);
  return e;
}

void describe_topic(RequestContext& ctx, const DescribeConfigsRequest& req, const Resource& r,
                    ResultT& out) {
  if (auto valid = validate_topic_name(r.resource_name); !valid.ok()) {
    out.error_code = to_int(valid.code());
    out.error_message = valid.error().message();
    return;
  }
  const auto image = ctx.broker().image();
  const auto* topic = image->topic(r.resource_name);
  if (topic == nullptr) {
    out.error_code = to_int(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
    out.error_message = fmt::format("Topic '{}' does not exist.", r.resource_name);
    return;
  }
  for (const auto& te : config::describe_topic_config(topic->configs, ctx.broker().config())) {
    if (!wanted(r, te.name)) continue;
    Entry e = make_entry(req, te.name, te.value, te.source, *te.spec, /*read_only=*/false);
    if (req.include_synonyms) {
      for (const auto& s : te.synonyms) {
        e.synonyms.push_back({s.name, s.value, static_cast<int8_t>(s.source), {}});
      }
    }
    out.configs.push_back(std::move(e));
  }
}

void describe_broker(RequestContext& ctx, const DescribeConfigsRequest& req, const Resource& r,
                     ResultT& out) {
  const auto& config = ctx.broker().config();
  const std::string self = std::to_string(ctx.broker().node_id().value());
  if (r.resource_name.empty()) return;  // no dynamic cluster-wide defaults are in effect
  if (r.resource_name != self) {
    out.error_code = to_int(ErrorCode::INVALID_REQUEST);
    out.error_message =
        fmt::format("Unexpected broker id, expected {} or empty string, but received {}", self,
                    r.resource_name);
    return;
  }
  for (const auto& spec : config::schema()) {
    const std::string name(spec.name);
    if (!wanted(r, name)) continue;
    const auto source = config.origin(name) == config::Origin::kDefault
                            ? config::Source::kDefault
                            : config::Source::kStaticBroker;
    Entry e = make_entry(req, name, config.get(name), source, spec, /*read_only=*/true);
    if (req.include_synonyms) {
      e.synonyms.push_back({name, config.get(name), static_cast<int8_t>(source), {}});
    }
    out.configs.push_back(std::move(e));
  }
}

}  // namespace

void describe_configs(RequestContextPtr ctx) {
  DescribeConfigsRequest request;
  if (!ctx->decode(request)) return;
  DescribeConfigsResponse response;
  for (const auto& r : request.resources) {
    auto& out = response.results.emplace_back();
    out.resource_type = r.resource_type;
    out.resource_name = r.resource_name;
    if (r.resource_type == kTopicResource) {
      describe_topic(*ctx, request, r, out);
    } else if (r.resource_type == kBrokerResource) {
      describe_broker(*ctx, request, r, out);
    } else {
      out.error_code = to_int(ErrorCode::INVALID_REQUEST);
      out.error_message = fmt::format("Unsupported resource type {}", r.resource_type);
    }
    if (out.error_code == 0) out.error_message.reset();
  }
  ctx->respond(response);
}

}  // namespace ferry::broker::kafka::handlers
