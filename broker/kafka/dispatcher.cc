#include "broker/kafka/dispatcher.h"

#include "broker/kafka/api_registry.h"
#include "broker/protocol/generated/messages.h"
#include "common/log.h"

namespace ferry::broker::kafka {

Bytes api_versions_unsupported_response(int32_t correlation_id) {
  ApiVersionsResponse response;
  response.error_code = to_int(ErrorCode::UNSUPPORTED_VERSION);
  for (const auto& api : supported_apis()) {
    auto& entry = response.api_keys.emplace_back();
    entry.api_key = api.key;
    entry.min_version = api.min_version;
    entry.max_version = api.max_version;
  }
  Writer w;
  write_response_header(w, 0, correlation_id);
  response.encode(w, 0);
  return w.take_bytes();
}

void Dispatcher::dispatch(net::InboundRequest request) {
  const auto prefix = peek_request_prefix(request.frame);
  auto reject = [&](const std::string& why) {
    logger("kafka")->info("closing connection from {}: {}", request.client_address, why);
    request.responder->close(why);
  };
  if (!prefix.has_value()) return reject("frame shorter than a request header");
  const ApiEntry* api = find_supported_api(prefix->api_key);
  if (api == nullptr) return reject(fmt::format("unknown API key {}", prefix->api_key));
  if (prefix->api_version < api->min_version || prefix->api_version > api->max_version) {
    if (api->key == kApiVersionsKey && prefix->api_version > api->max_version) {
      std::vector<Writer::Chunk> chunks(1);
      chunks[0].bytes = api_versions_unsupported_response(prefix->correlation_id);
      request.responder->send(std::move(chunks));
      return;
    }
    return reject(fmt::format("{} v{} is not supported (supported versions {}-{})", api->name,
                              prefix->api_version, api->min_version, api->max_version));
  }
  RequestHeader header;
  Reader r(request.frame);
  read_request_header(r, request_header_version(api->flexible_from, prefix->api_version), header);
  if (!r.ok()) {
    return reject(fmt::format("malformed {} request header: {}", api->name, r.failure()));
  }
  const size_t body_offset = r.position();
  auto ctx = std::make_shared<RequestContext>(broker_, *api, std::move(request), std::move(header),
                                              body_offset);
  api->handle(std::move(ctx));
}

}  // namespace ferry::broker::kafka
