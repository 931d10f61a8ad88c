// The one table of Kafka APIs this broker serves, with the version range it advertises in
// ApiVersions and the handler (one file per API under handlers/). ApiVersions is computed from
// this table; a request for an API not in it, or for a version outside the advertised range,
// closes the connection (Kafka's behaviour), except ApiVersions itself, which answers
// UNSUPPORTED_VERSION in v0 with its range so clients can step down (KIP-511).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "broker/kafka/request_context.h"

namespace ferry::broker::kafka {

struct ApiEntry {
  int16_t key;
  std::string_view name;
  int16_t min_version;  // advertised range
  int16_t max_version;
  int16_t flexible_from;  // from the schema: header versions depend on it
  void (*handle)(RequestContextPtr ctx);
};

std::span<const ApiEntry> supported_apis();
const ApiEntry* find_supported_api(int16_t key);

}  // namespace ferry::broker::kafka
