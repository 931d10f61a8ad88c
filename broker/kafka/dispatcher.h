// Routes inbound frames to the handler of their API (api_registry.h), after reading the request
// header. Runs on the connection's strand; handlers may continue asynchronously.
#pragma once

#include "broker/net/kafka_server.h"

namespace ferry::broker {
class Broker;
}

namespace ferry::broker::kafka {

class Dispatcher final : public net::RequestDispatcher {
 public:
  explicit Dispatcher(broker::Broker& broker) : broker_(broker) {}
  void dispatch(net::InboundRequest request) override;

 private:
  broker::Broker& broker_;
};

// The ApiVersions v0 answer to an ApiVersions request whose version is too new (KIP-511):
// UNSUPPORTED_VERSION plus the supported list, with a v0 response header.
Bytes api_versions_unsupported_response(int32_t correlation_id);

}  // namespace ferry::broker::kafka
