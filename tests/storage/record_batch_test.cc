#include "storage/record_batch.h"

#include <gtest/gtest.h>

#include <string>

#include "storage/record_batch_builder.h"

namespace ferry::storage {
namespace {

namespace L = batch_layout;

Bytes three_record_batch(CompressionType compression = CompressionType::kNone) {
  RecordBatchBuilder b;
  b.set_compression(compression);
  RecordSpec first;
  first.key = "k0";
  first.value = "v0";
  first.timestamp = 1000;
  first.headers = {{"h", std::string("hv")}, {"n", std::nullopt}};
  b.add(std::move(first));
  b.add(std::nullopt, "v1", 1005);
  b.add("k2", std::nullopt, 990);
  return b.build();
}

TEST(RecordBatchView, header_fields_are_read_at_kafkas_byte_offsets) {
  Bytes bytes = three_record_batch();
  RecordBatchView v(bytes);
  EXPECT_EQ(v.base_offset(), Offset(0));
  EXPECT_EQ(v.size_bytes(), bytes.size());
  EXPECT_EQ(v.batch_length(), static_cast<int32_t>(bytes.size() - 12));
  EXPECT_EQ(v.partition_leader_epoch(), LeaderEpoch(-1));
  EXPECT_EQ(v.magic(), 2);
  EXPECT_EQ(v.last_offset_delta(), 2);
  EXPECT_EQ(v.records_count(), 3);
  EXPECT_EQ(v.base_timestamp(), 1000);
  EXPECT_EQ(v.max_timestamp(), 1005);
  EXPECT_EQ(v.producer_id(), -1);
  EXPECT_EQ(v.producer_epoch(), -1);
  EXPECT_EQ(v.base_sequence(), -1);
  EXPECT_EQ(v.timestamp_type(), TimestampType::kCreateTime);
  EXPECT_TRUE(v.crc_matches());
  EXPECT_EQ(load_be32(bytes.data() + L::kRecordsCount), 3u);
}

TEST(RecordBatchView, records_decode_with_absolute_offsets_timestamps_keys_and_headers) {
  for (auto codec : {CompressionType::kNone, CompressionType::kGzip, CompressionType::kSnappy,
                     CompressionType::kLz4, CompressionType::kZstd}) {
    Bytes bytes = three_record_batch(codec);
    set_base_offset(bytes, Offset(100));
    auto decoded = decode_records(RecordBatchView(bytes), 1 << 20);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    ASSERT_EQ(decoded->records.size(), 3u);
    const auto& r = decoded->records;
    EXPECT_EQ(r[0].offset, Offset(100));
    EXPECT_EQ(r[2].offset, Offset(102));
    EXPECT_EQ(r[1].timestamp, 1005);
    EXPECT_EQ(r[2].timestamp, 990);
    EXPECT_EQ(as_string_view(*r[0].key), "k0");
    EXPECT_FALSE(r[1].key.has_value());
    EXPECT_FALSE(r[2].value.has_value());
    ASSERT_EQ(r[0].headers.size(), 2u);
    EXPECT_EQ(r[0].headers[0].key, "h");
    EXPECT_EQ(as_string_view(*r[0].headers[0].value), "hv");
    EXPECT_FALSE(r[0].headers[1].value.has_value());
  }
}

TEST(Validation, a_valid_buffer_of_several_batches_yields_one_info_per_batch) {
  Bytes buffer = three_record_batch();
  const Bytes second = three_record_batch(CompressionType::kLz4);
  buffer.insert(buffer.end(), second.begin(), second.end());
  auto infos = validate_batches(buffer, {});
  ASSERT_TRUE(infos.ok()) << infos.error().to_string();
  ASSERT_EQ(infos->size(), 2u);
  EXPECT_EQ((*infos)[1].position, buffer.size() - second.size());
  EXPECT_EQ((*infos)[1].compression, CompressionType::kLz4);
  EXPECT_EQ((*infos)[0].records_count, 3);
}

TEST(Validation, a_flipped_bit_in_the_crc_range_is_corrupt_message) {
  Bytes bytes = three_record_batch();
  for (size_t pos : {L::kAttributes, L::kMaxTimestamp, bytes.size() - 1}) {
    Bytes copy = bytes;
    copy[pos] ^= 0x10;
    auto result = validate_batches(copy, {});
    ASSERT_FALSE(result.ok()) << "pos " << pos;
    EXPECT_EQ(result.code(), ErrorCode::CORRUPT_MESSAGE) << result.error().to_string();
  }
}

TEST(Validation, a_trailing_partial_batch_is_corrupt_message) {
  Bytes bytes = three_record_batch();
  Bytes two = bytes;
  two.insert(two.end(), bytes.begin(), bytes.begin() + 30);
  EXPECT_EQ(validate_batches(two, {}).code(), ErrorCode::CORRUPT_MESSAGE);
  Bytes cut(bytes.begin(), bytes.end() - 1);
  EXPECT_EQ(validate_batches(cut, {}).code(), ErrorCode::CORRUPT_MESSAGE);
  EXPECT_EQ(validate_batches(Bytes{}, {}).code(), ErrorCode::CORRUPT_MESSAGE);
}

TEST(Validation, legacy_magic_is_invalid_record_and_unknown_magic_is_corrupt_message) {
  Bytes bytes = three_record_batch();
  bytes[L::kMagic] = 1;
  EXPECT_EQ(validate_batches(bytes, {}).code(), ErrorCode::INVALID_RECORD);
  bytes[L::kMagic] = 3;
  EXPECT_EQ(validate_batches(bytes, {}).code(), ErrorCode::CORRUPT_MESSAGE);
}

TEST(Validation, count_inconsistent_with_last_offset_delta_is_invalid_record) {
  Bytes bytes = three_record_batch();
  store_be32(bytes.data() + L::kLastOffsetDelta, 5);
  update_crc(bytes);
  EXPECT_EQ(validate_batches(bytes, {}).code(), ErrorCode::INVALID_RECORD);
}

TEST(Validation, records_count_different_from_the_records_present_is_invalid_record) {
  for (auto codec : {CompressionType::kNone, CompressionType::kZstd}) {
    Bytes bytes = three_record_batch(codec);
    store_be32(bytes.data() + L::kRecordsCount, 2);
    store_be32(bytes.data() + L::kLastOffsetDelta, 1);
    update_crc(bytes);
    EXPECT_EQ(validate_batches(bytes, {}).code(), ErrorCode::INVALID_RECORD);
    BatchValidationOptions shallow;
    shallow.validate_records = false;
    EXPECT_TRUE(validate_batches(bytes, shallow).ok());
  }
}

TEST(Validation, undecodable_compressed_records_are_corrupt_message) {
  Bytes bytes = three_record_batch(CompressionType::kGzip);
  bytes[L::kRecords + 12] ^= 0xFF;
  update_crc(bytes);
  EXPECT_EQ(validate_batches(bytes, {}).code(), ErrorCode::CORRUPT_MESSAGE);
}

TEST(Validation, unknown_codec_id_is_unsupported_compression_type) {
  Bytes bytes = three_record_batch();
  store_be16(bytes.data() + L::kAttributes, 6);
  update_crc(bytes);
  EXPECT_EQ(validate_batches(bytes, {}).code(), ErrorCode::UNSUPPORTED_COMPRESSION_TYPE);
}

TEST(Mutation, base_offset_and_epoch_change_without_invalidating_the_crc) {
  Bytes bytes = three_record_batch();
  set_base_offset(bytes, Offset(1234));
  set_partition_leader_epoch(bytes, LeaderEpoch(7));
  RecordBatchView v(bytes);
  EXPECT_EQ(v.base_offset(), Offset(1234));
  EXPECT_EQ(v.last_offset(), Offset(1236));
  EXPECT_EQ(v.partition_leader_epoch(), LeaderEpoch(7));
  EXPECT_TRUE(v.crc_matches());
}

TEST(Mutation, log_append_time_sets_the_attribute_and_max_timestamp_and_recomputes_the_crc) {
  Bytes bytes = three_record_batch();
  const uint32_t before = RecordBatchView(bytes).crc();
  set_log_append_time(bytes, 5555);
  RecordBatchView v(bytes);
  EXPECT_EQ(v.timestamp_type(), TimestampType::kLogAppendTime);
  EXPECT_EQ(v.max_timestamp(), 5555);
  EXPECT_NE(v.crc(), before);
  EXPECT_TRUE(v.crc_matches());
  auto decoded = decode_records(v, 1 << 20);
  ASSERT_TRUE(decoded.ok());
  for (const auto& r : decoded->records)
    EXPECT_EQ(r.timestamp, 5555);
}

}  // namespace
}  // namespace ferry::storage
