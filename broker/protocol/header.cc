#include "broker/protocol/header.h"

namespace ferry::broker::kafka {

int16_t request_header_version(int16_t flexible_from, int16_t api_version) {
  return (flexible_from >= 0 && api_version >= flexible_from) ? 2 : 1;
}

int16_t response_header_version(int16_t api_key, int16_t flexible_from, int16_t api_version) {
  if (api_key == kApiVersionsKey) return 0;
  return (flexible_from >= 0 && api_version >= flexible_from) ? 1 : 0;
}

std::optional<RequestPrefix> peek_request_prefix(std::span<const uint8_t> frame) {
  if (frame.size() < 8) return std::nullopt;
  return RequestPrefix{static_cast<int16_t>(load_be16(frame.data())),
                       static_cast<int16_t>(load_be16(frame.data() + 2)),
                       static_cast<int32_t>(load_be32(frame.data() + 4))};
}

void read_request_header(Reader& r, int16_t header_version, RequestHeader& out) {
  out.api_key = r.i16();
  out.api_version = r.i16();
  out.correlation_id = r.i32();
  if (header_version >= 1) out.client_id = r.nullable_string(/*flexible=*/false);
  if (header_version >= 2) {
    r.tagged_fields(out.unknown_tagged_fields, [](uint32_t, Reader&) { return false; });
  }
}

void write_request_header(Writer& w, int16_t header_version, const RequestHeader& h) {
  w.i16(h.api_key);
  w.i16(h.api_version);
  w.i32(h.correlation_id);
  if (header_version >= 1) w.nullable_string(h.client_id, /*flexible=*/false);
  if (header_version >= 2) {
    TaggedFieldsWriter tags;
    tags.finish(w, h.unknown_tagged_fields);
  }
}

void write_response_header(Writer& w, int16_t header_version, int32_t correlation_id) {
  w.i32(correlation_id);
  if (header_version >= 1) w.uvarint(0);  // empty tagged-field section
}

int32_t read_response_header(Reader& r, int16_t header_version) {
  const int32_t correlation_id = r.i32();
  if (header_version >= 1) {
    TaggedFields ignored;
    r.tagged_fields(ignored, [](uint32_t, Reader&) { return false; });
  }
  return correlation_id;
}

}  // namespace ferry::broker::kafka
