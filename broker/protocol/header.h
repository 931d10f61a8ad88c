// Kafka request and response headers (CLIENTS.md section 4).
//
//   Request header v1:  ApiKey int16 | ApiVersion int16 | CorrelationId int32 |
//                       ClientId nullable string (classic int16 length, even in v2)
//   Request header v2:  v1 + tagged-field section
//   Response header v0: CorrelationId int32
//   Response header v1: v0 + tagged-field section
//
// Header version rule: an API version at or above the API's first flexible version uses
// request header v2 / response header v1; otherwise v1 / v0. ApiVersions responses always use
// response header v0 so that any client can read the version list (KIP-511).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "broker/protocol/codec.h"
#include "common/error.h"

namespace ferry::broker::kafka {

inline constexpr int16_t kApiVersionsKey = 18;

struct RequestHeader {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;
  TaggedFields unknown_tagged_fields;
};

// Request header version for (api, version), given the API's first flexible version (-1 none).
int16_t request_header_version(int16_t flexible_from, int16_t api_version);
// Response header version; ApiVersions is always 0.
int16_t response_header_version(int16_t api_key, int16_t flexible_from, int16_t api_version);

// Reads the fixed part of a request header (key, version, correlation id) without consuming:
// enough to answer even when the rest cannot be parsed. Fails when the frame is < 8 bytes.
struct RequestPrefix {
  int16_t api_key;
  int16_t api_version;
  int32_t correlation_id;
};
std::optional<RequestPrefix> peek_request_prefix(std::span<const uint8_t> frame);

// Reads a whole request header of `header_version` (1 or 2; 0 has no client id).
void read_request_header(Reader& r, int16_t header_version, RequestHeader& out);
void write_request_header(Writer& w, int16_t header_version, const RequestHeader& h);
void write_response_header(Writer& w, int16_t header_version, int32_t correlation_id);
// Reads a response header; returns the correlation id.
int32_t read_response_header(Reader& r, int16_t header_version);

}  // namespace ferry::broker::kafka
