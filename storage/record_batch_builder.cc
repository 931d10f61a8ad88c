#include "storage/record_batch_builder.h"

#include <algorithm>

namespace ferry::storage {

namespace L = batch_layout;

RecordBatchBuilder& RecordBatchBuilder::set_base_offset(Offset offset) {
  base_offset_ = offset;
  return *this;
}
RecordBatchBuilder& RecordBatchBuilder::set_partition_leader_epoch(LeaderEpoch epoch) {
  epoch_ = epoch;
  return *this;
}
RecordBatchBuilder& RecordBatchBuilder::set_compression(CompressionType type,
                                                        SnappyFraming framing) {
  compression_ = type;
  snappy_framing_ = framing;
  return *this;
}
RecordBatchBuilder& RecordBatchBuilder::set_timestamp_type(TimestampType type) {
  timestamp_type_ = type;
  return *this;
}
RecordBatchBuilder& RecordBatchBuilder::set_producer(int64_t producer_id, int16_t producer_epoch,
                                                     int32_t base_sequence) {
  producer_id_ = producer_id;
  producer_epoch_ = producer_epoch;
  base_sequence_ = base_sequence;
  return *this;
}
RecordBatchBuilder& RecordBatchBuilder::set_transactional(bool transactional) {
  transactional_ = transactional;
  return *this;
}
RecordBatchBuilder& RecordBatchBuilder::set_control(bool control) {
  control_ = control;
  return *this;
}
RecordBatchBuilder& RecordBatchBuilder::add(RecordSpec record) {
  records_.push_back(std::move(record));
  return *this;
}
RecordBatchBuilder& RecordBatchBuilder::add(std::optional<std::string_view> key,
                                            std::optional<std::string_view> value,
                                            int64_t timestamp) {
  RecordSpec spec;
  if (key) spec.key = std::string(*key);
  if (value) spec.value = std::string(*value);
  spec.timestamp = timestamp;
  return add(std::move(spec));
}

namespace {
void write_nullable(ByteWriter& w, const std::optional<std::string>& s) {
  if (!s) {
    w.varint(-1);
    return;
  }
  w.varint(static_cast<int32_t>(s->size()));
  w.bytes(*s);
}
}  // namespace

Bytes RecordBatchBuilder::encode_records() const {
  const int64_t base_ts = records_.front().timestamp;
  Bytes out;
  Bytes body;
  ByteWriter w(out);
  for (size_t i = 0; i < records_.size(); ++i) {
    const RecordSpec& r = records_[i];
    body.clear();
    ByteWriter b(body);
    b.i8(0);
    b.varlong(r.timestamp - base_ts);
    b.varint(static_cast<int32_t>(i));
    write_nullable(b, r.key);
    write_nullable(b, r.value);
    b.varint(static_cast<int32_t>(r.headers.size()));
    for (const auto& [key, value] : r.headers) {
      b.varint(static_cast<int32_t>(key.size()));
      b.bytes(key);
      write_nullable(b, value);
    }
    w.varint(static_cast<int32_t>(body.size()));
    w.bytes(body);
  }
  return out;
}

Bytes RecordBatchBuilder::build() const {
  FERRY_ASSERT(!records_.empty(), "a record batch needs at least one record");
  Bytes records = encode_records();
  if (compression_ != CompressionType::kNone) {
    auto compressed = compress(compression_, records, snappy_framing_);
    FERRY_ASSERT(compressed.ok(), "compression failed: {}", compressed.error().to_string());
    records = std::move(*compressed);
  }
  int64_t max_ts = records_.front().timestamp;
  for (const auto& r : records_)
    max_ts = std::max(max_ts, r.timestamp);
  int16_t attributes = static_cast<int16_t>(compression_);
  if (timestamp_type_ == TimestampType::kLogAppendTime) {
    attributes |= batch_attributes::kTimestampTypeBit;
  }
  if (transactional_) attributes |= batch_attributes::kTransactionalBit;
  if (control_) attributes |= batch_attributes::kControlBit;

  Bytes out;
  out.reserve(L::kHeaderSize + records.size());
  ByteWriter w(out);
  w.i64(base_offset_.value());
  w.i32(static_cast<int32_t>(L::kHeaderSize - L::kLogOverhead + records.size()));
  w.i32(epoch_.value());
  w.i8(kMagicV2);
  w.u32(0);  // CRC, filled below
  w.i16(attributes);
  w.i32(static_cast<int32_t>(records_.size() - 1));
  w.i64(records_.front().timestamp);
  w.i64(max_ts);
  w.i64(producer_id_);
  w.i16(producer_epoch_);
  w.i32(base_sequence_);
  w.i32(static_cast<int32_t>(records_.size()));
  w.bytes(records);
  update_crc(out);
  return out;
}

Bytes make_batch(int count, size_t value_bytes, int64_t timestamp, uint64_t seed,
                 CompressionType compression) {
  RecordBatchBuilder b;
  b.set_compression(compression);
  std::string value(value_bytes, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int i = 0; i < count; ++i) {
    for (auto& c : value) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>('a' + (x % 26));
    }
    b.add(std::nullopt, value, timestamp);
  }
  return b.build();
}

}  // namespace ferry::storage
