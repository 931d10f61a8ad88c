// How the cluster looks to a client on a given listener: the live brokers and their
// endpoints, shared by Metadata and DescribeCluster.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/broker.h"

namespace ferry::kafka {

struct BrokerView {
  int32_t node_id;
  std::string host;
  int32_t port;
  std::optional<std::string> rack;
};

// Unfenced brokers that have an endpoint on `listener`, sorted by id. This broker is included
// even before its registration reaches the image, so a client always finds a bootstrap broker.
std::vector<BrokerView> live_brokers(broker::Broker& broker, const metadata::MetadataImage& image,
                                     const std::string& listener);

// Whether `node` is registered and unfenced in `image`.
bool is_live(const metadata::MetadataImage& image, NodeId node);

}  // namespace ferry::kafka
