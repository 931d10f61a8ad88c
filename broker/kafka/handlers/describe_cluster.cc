// DescribeCluster (60): cluster id, controller and live brokers (KIP-700). Every broker forwards
// controller APIs to the active controller, so like KRaft Kafka it names itself as controller.
#include "broker/kafka/handlers/cluster_view.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

namespace {
constexpr int8_t kBrokersEndpointType = 1;
}

void describe_cluster(RequestContextPtr ctx) {
  DescribeClusterRequest request;
  if (!ctx->decode(request)) return;
  DescribeClusterResponse response;
  auto& broker = ctx->broker();
  const auto image = broker.image();
  response.endpoint_type = request.endpoint_type;
  if (request.endpoint_type != kBrokersEndpointType) {
    response.error_code = to_int(ErrorCode::INVALID_REQUEST);
    response.error_message = "Ferry only describes broker endpoints (EndpointType 1).";
    return ctx->respond(response);
  }
  response.cluster_id = image->cluster_id;
  response.controller_id = broker.node_id().value();
  for (const auto& b : live_brokers(*image, ctx->listener())) {
    auto& out = response.brokers.emplace_back();
    out.broker_id = b.node_id;
    out.host = b.host;
    out.port = b.port;
    out.rack = b.rack;
  }
  ctx->respond(response);
}

}  // namespace ferry::broker::kafka::handlers
