// ApiVersions (18): the APIs and version ranges of api_registry.cc. Answered without touching
// any other broker state, so clients (kafkajs waits 1 s, kafka-python 2 s) get it at once.
#include "broker/kafka/api_registry.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/protocol/generated/messages.h"

namespace ferry::broker::kafka::handlers {

void api_versions(RequestContextPtr ctx) {
  ApiVersionsRequest request;
  if (!ctx->decode(request)) return;
  ApiVersionsResponse response;
  for (const auto& api : supported_apis()) {
    auto& entry = response.api_keys.emplace_back();
    entry.api_key = api.key;
    entry.min_version = api.min_version;
    entry.max_version = api.max_version;
  }
  ctx->respond(response);
}

}  // namespace ferry::broker::kafka::handlers
