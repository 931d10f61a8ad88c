// Shared by the consumer-group handlers (find_coordinator.cc ... offset_delete.cc): the
// coordinator of the broker a request reached, and how Kafka spells a member's host.
#pragma once

#include <string>

#include "broker/broker.h"
#include "broker/group_coordinator.h"
#include "broker/kafka/request_context.h"

namespace ferry::broker::kafka::handlers {

inline GroupCoordinator& coordinator(RequestContext& ctx) {
  return ctx.broker().groups();
}

// Whether `topic` has a partition `index` (commits and offset deletes for others get
// UNKNOWN_TOPIC_OR_PARTITION, as Kafka's).
inline bool partition_exists(const controller::metadata::MetadataImage& image,
                             const std::string& topic, int32_t index) {
  const auto* t = image.topic(topic);
  return t && index >= 0 && index < static_cast<int32_t>(t->partitions.size());
}

// Kafka's clientHost is InetAddress.toString(): "/127.0.0.1".
inline std::string client_host(const RequestContext& ctx) {
  const std::string& address = ctx.client_address();
  const size_t colon = address.rfind(':');
  return "/" + (colon == std::string::npos ? address : address.substr(0, colon));
}

}  // namespace ferry::broker::kafka::handlers
