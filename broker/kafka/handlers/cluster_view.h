// How the cluster looks to a client on a given listener: the live brokers and their
// endpoints, shared by Metadata and DescribeCluster.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/broker.h"

namespace ferry::broker::kafka {

struct BrokerView {
  int32_t node_id;
  std::string host;
  int32_t port;
  std::optional<std::string> rack;
};

// Unfenced brokers that have an endpoint on `listener`, sorted by id. (A broker only serves
// clients once the controller has unfenced it, so it always finds itself here.)
std::vector<BrokerView> live_brokers(const controller::metadata::MetadataImage& image,
                                     const std::string& listener);

// Whether `node` is registered and unfenced in `image`.
bool is_live(const controller::metadata::MetadataImage& image, NodeId node);

}  // namespace ferry::broker::kafka
