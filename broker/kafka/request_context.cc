#include "broker/kafka/request_context.h"

#include "broker/kafka/api_registry.h"
#include "common/log.h"

namespace ferry::broker::kafka {

RequestContext::RequestContext(broker::Broker& broker, const ApiEntry& api,
                               net::InboundRequest request, RequestHeader header,
                               size_t body_offset)
    : broker_(broker),
      api_(api),
      request_(std::move(request)),
      header_(std::move(header)),
      body_offset_(body_offset) {}

void RequestContext::write_header(Writer& w) const {
  write_response_header(w, response_header_version(api_.key, api_.flexible_from, version()),
                        header_.correlation_id);
}

void RequestContext::send(Writer& w) {
  request_.responder->send(w.take_chunks());
}

void RequestContext::respond_nothing() {
  request_.responder->send_nothing();
}

void RequestContext::close_connection(std::string reason) {
  logger("kafka")->info("closing connection from {} ({}): {}", client_address(), client_id(),
                        reason);
  request_.responder->close(std::move(reason));
}

void RequestContext::reject_malformed(const std::string& why) {
  close_connection(fmt::format("malformed {} v{} request (correlation id {}): {}", api_.name,
                               version(), header_.correlation_id, why));
}

}  // namespace ferry::broker::kafka
