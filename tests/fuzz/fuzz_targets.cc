#include "tests/fuzz/fuzz_targets.h"

#include "broker/protocol/generated/messages.h"
#include "broker/protocol/header.h"
#include "common/assert.h"
#include "storage/record_batch.h"

namespace ferry::fuzz {

namespace {

template <typename Message>
void decode_and_check_round_trip(broker::kafka::Reader& r, int16_t version) {
  Message message;
  message.decode(r, version);
  if (!r.ok()) return;
  broker::kafka::Writer w;
  message.encode(w, version);
  Bytes encoded = w.take_bytes();
  Message again;
  broker::kafka::Reader r2(encoded);
  again.decode(r2, version);
  FERRY_ASSERT(r2.ok(), "re-encoded {} v{} does not decode: {}", Message::kName, version,
               r2.failure());
  FERRY_ASSERT(again == message, "{} v{} changed in a round trip", Message::kName, version);
}

}  // namespace

void fuzz_request_frame(const uint8_t* data, size_t size) {
  Bytes frame(data, data + size);
  const auto prefix = broker::kafka::peek_request_prefix(frame);
  if (!prefix) return;
  const broker::kafka::ApiSchemaInfo* schema = nullptr;
  for (const auto& s : broker::kafka::kApiSchemas) {
    if (s.key == prefix->api_key) schema = &s;
  }
  if (schema == nullptr || prefix->api_version < schema->min_version ||
      prefix->api_version > schema->max_version) {
    return;
  }
  broker::kafka::Reader r(frame);
  broker::kafka::RequestHeader header;
  broker::kafka::read_request_header(
      r, broker::kafka::request_header_version(schema->flexible_from, prefix->api_version), header);
  if (!r.ok()) return;
  broker::kafka::with_request_type(prefix->api_key, [&]<typename T>() {
    decode_and_check_round_trip<T>(r, prefix->api_version);
  });
}

void fuzz_record_batches(const uint8_t* data, size_t size) {
  const ByteSpan buffer(data, size);
  storage::BatchValidationOptions options;
  options.max_decompressed_bytes = 1 << 20;
  (void)storage::validate_batches(buffer, options);
  // Decode records even of batches whose CRC fails: the record parser must be robust alone.
  size_t position = 0;
  while (position < size) {
    auto view = storage::parse_batch_header(buffer.subspan(position));
    if (!view.ok()) return;
    (void)storage::decode_records(*view, 1 << 20);
    position += view->size_bytes();
  }
}

}  // namespace ferry::fuzz
