// Builds valid Kafka v2 record batches (layout in record_batch.h) for tests, benchmarks and
// tools: records with key, value, headers and timestamps, optional compression, producer fields
// defaulting to -1 (not idempotent). The broker never builds batches on the produce path.
//
//   RecordBatchBuilder b;
//   b.set_compression(CompressionType::kLz4).add("key", "value", 1'700'000'000'000);
//   Bytes batch = b.build();   // BaseOffset 0, epoch -1, CRC filled in
//
// Not thread-safe (a value type); build() may be called repeatedly.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "storage/compression.h"
#include "storage/record_batch.h"

namespace ferry::storage {

struct RecordSpec {
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp = 0;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

class RecordBatchBuilder {
 public:
  RecordBatchBuilder& set_base_offset(Offset offset);
  RecordBatchBuilder& set_partition_leader_epoch(LeaderEpoch epoch);
  RecordBatchBuilder& set_compression(CompressionType type,
                                      SnappyFraming framing = SnappyFraming::kXerial);
  RecordBatchBuilder& set_timestamp_type(TimestampType type);
  RecordBatchBuilder& set_producer(int64_t producer_id, int16_t producer_epoch,
                                   int32_t base_sequence);
  RecordBatchBuilder& set_transactional(bool transactional);
  RecordBatchBuilder& set_control(bool control);

  RecordBatchBuilder& add(RecordSpec record);
  RecordBatchBuilder& add(std::optional<std::string_view> key,
                          std::optional<std::string_view> value, int64_t timestamp);

  size_t record_count() const { return records_.size(); }
  // The batch bytes. Requires at least one record (asserted): Kafka batches are never empty.
  Bytes build() const;

 private:
  Bytes encode_records() const;

  Offset base_offset_{0};
  LeaderEpoch epoch_{-1};
  CompressionType compression_ = CompressionType::kNone;
  SnappyFraming snappy_framing_ = SnappyFraming::kXerial;
  TimestampType timestamp_type_ = TimestampType::kCreateTime;
  int64_t producer_id_ = kNoProducerId;
  int16_t producer_epoch_ = kNoProducerEpoch;
  int32_t base_sequence_ = kNoSequence;
  bool transactional_ = false;
  bool control_ = false;
  std::vector<RecordSpec> records_;
};

// Convenience for tests and benchmarks: `count` records of `value_bytes` bytes each (values are
// a deterministic pattern seeded by `seed`), null keys, timestamps `timestamp`.
Bytes make_batch(int count, size_t value_bytes, int64_t timestamp, uint64_t seed = 0,
                 CompressionType compression = CompressionType::kNone);

}  // namespace ferry::storage
