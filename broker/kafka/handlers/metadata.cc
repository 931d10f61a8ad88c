// Metadata (3): brokers, cluster id, controller id and, per topic, partitions with leader,
// leader epoch, replicas, ISR and offline replicas; topic ids from v10.
//
// Requested topics that do not exist are created when auto.create.topics.enable is true and
// the request allows it (v4+: AllowAutoTopicCreation; v0-3 always allow). The answer then waits
// (at most kAutoCreateWaitMs) for the creation to reach this broker's image, so most clients
// get usable metadata in one round trip; otherwise the topic reports LEADER_NOT_AVAILABLE and
// clients retry, as with Kafka.
#include <set>

#include "broker/broker.h"
#include "broker/kafka/handlers/cluster_view.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"
#include "common/log.h"
#include "common/topic_name.h"

namespace ferry::broker::kafka::handlers {

namespace {

constexpr int64_t kAutoCreateWaitMs = 2000;

using Topic = MetadataResponse::MetadataResponseTopic;

void describe_partitions(const controller::metadata::TopicImage& t,
                         const controller::metadata::MetadataImage& image, Topic& out) {
  for (size_t i = 0; i < t.partitions.size(); ++i) {
    const auto& p = t.partitions[i];
    auto& part = out.partitions.emplace_back();
    part.partition_index = static_cast<int32_t>(i);
    part.leader_id = p.leader.value();
    part.leader_epoch = p.leader_epoch.value();
    part.error_code =
        to_int(p.leader == kNoNode ? ErrorCode::LEADER_NOT_AVAILABLE : ErrorCode::NONE);
    for (NodeId r : p.replicas) {
      part.replica_nodes.push_back(r.value());
      if (!is_live(image, r)) part.offline_replicas.push_back(r.value());
    }
    for (NodeId r : p.isr)
      part.isr_nodes.push_back(r.value());
  }
}

Topic describe_topic(const std::string& name, const controller::metadata::MetadataImage& image) {
  Topic out;
  out.name = name;
  const auto* t = image.topic(name);
  if (t == nullptr) {
    out.error_code = to_int(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
    return out;
  }
  out.topic_id = t->id;
  out.is_internal = is_internal_topic(name);
  describe_partitions(*t, image, out);
  return out;
}

struct Plan {
  bool all_topics = false;
  std::vector<std::string> names;  // requested by name, in request order
  std::vector<Topic> by_id;        // requested by id (resolved below)
  std::vector<std::string> to_create;
};

Plan plan_request(RequestContext& ctx, const MetadataRequest& request,
                  const controller::metadata::MetadataImage& image) {
  Plan plan;
  if (!request.topics.has_value() || (ctx.version() == 0 && request.topics->empty())) {
    plan.all_topics = true;
    return plan;
  }
  const bool may_create = ctx.broker().config().get_bool("auto.create.topics.enable") &&
                          (ctx.version() < 4 || request.allow_auto_topic_creation);
  std::set<std::string> seen;
  for (const auto& t : *request.topics) {
    if (!t.name.has_value() || (ctx.version() >= 10 && !t.topic_id.is_zero())) {
      Topic out;
      out.topic_id = t.topic_id;
      const auto* found = image.topic(t.topic_id);
      if (found == nullptr) {
        out.error_code = to_int(ErrorCode::UNKNOWN_TOPIC_ID);
        out.name.reset();
      } else {
        out = describe_topic(found->name, image);
      }
      plan.by_id.push_back(std::move(out));
      continue;
    }
    if (!seen.insert(*t.name).second) continue;
    plan.names.push_back(*t.name);
    if (may_create && image.topic(*t.name) == nullptr && validate_topic_name(*t.name).ok() &&
        !is_internal_topic(*t.name)) {
      plan.to_create.push_back(*t.name);
    }
  }
  return plan;
}

void answer(const RequestContextPtr& ctx, const Plan& plan, const std::set<std::string>& failed) {
  auto& broker = ctx->broker();
  const auto image = broker.image();
  MetadataResponse response;
  for (const auto& b : live_brokers(*image, ctx->listener())) {
    auto& out = response.brokers.emplace_back();
    out.node_id = b.node_id;
    out.host = b.host;
    out.port = b.port;
    out.rack = b.rack;
  }
  response.cluster_id = image->cluster_id;
  // Admin requests sent to any broker are forwarded to the active controller (KRaft style).
  response.controller_id = broker.node_id().value();
  if (plan.all_topics) {
    for (const auto& [name, _] : image->topic_ids)
      response.topics.push_back(describe_topic(name, *image));
  }
  for (const auto& name : plan.names) {
    if (auto valid = validate_topic_name(name); !valid.ok()) {
      Topic out;
      out.name = name;
      out.error_code = to_int(ErrorCode::INVALID_TOPIC_EXCEPTION);
      response.topics.push_back(std::move(out));
      continue;
    }
    Topic out = describe_topic(name, *image);
    if (out.error_code == to_int(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION) &&
        std::find(plan.to_create.begin(), plan.to_create.end(), name) != plan.to_create.end() &&
        !failed.contains(name)) {
      out.error_code = to_int(ErrorCode::LEADER_NOT_AVAILABLE);  // being created
    }
    response.topics.push_back(std::move(out));
  }
  for (const auto& t : plan.by_id)
    response.topics.push_back(t);
  ctx->respond(response);
}

}  // namespace

void metadata(RequestContextPtr ctx) {
  MetadataRequest request;
  if (!ctx->decode(request)) return;
  auto& broker = ctx->broker();
  Plan plan = plan_request(*ctx, request, *broker.image());
  if (plan.to_create.empty()) return answer(ctx, plan, {});

  std::vector<controller::CreateTopicSpec> specs;
  for (const auto& name : plan.to_create)
    specs.push_back({.name = name});
  broker.controller().create_topics(
      std::move(specs), /*validate_only=*/false,
      [ctx, plan = std::move(plan)](std::vector<controller::CreateTopicResult> results) mutable {
        LogIndex offset{0};
        std::set<std::string> failed;
        for (const auto& r : results) {
          offset = std::max(offset, r.committed_offset);
          if (r.error != ErrorCode::NONE && r.error != ErrorCode::TOPIC_ALREADY_EXISTS) {
            logger("kafka")->info("auto-creating topic {} failed: {} {}", r.name,
                                  error_name(r.error), r.message);
            failed.insert(r.name);
          }
        }
        ctx->broker().wait_for_metadata(
            offset, kAutoCreateWaitMs,
            [ctx, plan = std::move(plan), failed](bool) { answer(ctx, plan, failed); });
      });
}

}  // namespace ferry::broker::kafka::handlers
