#include "broker/kafka/handlers/cluster_view.h"

#include <algorithm>

namespace ferry::broker::kafka {

std::vector<BrokerView> live_brokers(const controller::metadata::MetadataImage& image,
                                     const std::string& listener) {
  std::vector<BrokerView> out;
  for (const auto& [id, registration] : image.brokers) {
    if (registration.fenced) continue;
    const controller::metadata::Endpoint* endpoint = registration.endpoint(listener);
    if (endpoint == nullptr) continue;
    out.push_back({id.value(), endpoint->host, endpoint->port, registration.rack});
  }
  std::sort(out.begin(), out.end(),
            [](const BrokerView& a, const BrokerView& b) { return a.node_id < b.node_id; });
  return out;
}

bool is_live(const controller::metadata::MetadataImage& image, NodeId node) {
  const auto* registration = image.broker(node);
  return registration != nullptr && !registration->fenced;
}

}  // namespace ferry::broker::kafka
