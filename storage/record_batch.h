// Kafka record batches, format v2 (magic 2): the ONLY place in Ferry that parses batch headers
// (ARCHITECTURE.md section 2). The Kafka codec hands `Records` fields here as opaque bytes.
//
// One batch on the wire and on disk (all integers big-endian; CLIENTS.md section 5):
//
//   0       8           12                    16    17    21         23              27
//   +-------+-----------+---------------------+-----+-----+----------+---------------+
//   | Base  | Batch     | PartitionLeader     |Magic| CRC | Attribu- | LastOffset    |
//   | Offset| Length    | Epoch               | =2  |     | tes      | Delta         |
//   | int64 | int32     | int32               | int8|uint32| int16   | int32         |
//   +-------+-----------+---------------------+-----+-----+----------+---------------+
//   27              35              43          51        53          57       61
//   +---------------+---------------+-----------+---------+-----------+--------+---------
//   | BaseTimestamp | MaxTimestamp  | ProducerId|Producer | Base      |Records | Records
//   | int64         | int64         | int64     |Epoch i16| Sequence  |Count   | ...
//   +---------------+---------------+-----------+---------+-----------+--------+---------
//
//   BatchLength counts the bytes after itself: total size = BatchLength + 12.
//   CRC is CRC-32C over bytes [21, end). BaseOffset, BatchLength and PartitionLeaderEpoch are
//   NOT covered: the broker rewrites BaseOffset and the epoch without recomputing it.
//   Attributes: bits 0-2 compression (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd), bit 3 timestamp
//   type (1 = LogAppendTime), bit 4 transactional, bit 5 control, bit 6 delete horizon.
//   When compressed, bytes [61, end) are one compressed stream of the records.
//
// One record inside the (decompressed) records region (varint/varlong = zigzag base-128):
//
//   Length varint | Attributes int8 | TimestampDelta varlong | OffsetDelta varint |
//   KeyLength varint (-1 null) | Key | ValueLength varint (-1 null) | Value |
//   HeadersCount varint | { HeaderKeyLength varint | Key | HeaderValueLength varint | Value }*
//
// Error codes (Kafka's own choices, so every client reacts as it does against Apache Kafka):
//   * CORRUPT_MESSAGE: CRC mismatch, BatchLength inconsistent with the bytes present (including
//     a trailing partial batch: Kafka silently trims one, we refuse it because no client sends
//     one), a BatchLength below the header size, a magic byte outside 0..2 (Kafka's
//     ByteBufferLogInputStream throws CorruptRecordException), undecodable compressed data,
//     decompressed size over the limit (zip bombs).
//   * INVALID_RECORD: a well-formed batch whose contents break the rules: magic 0 or 1 (Kafka's
//     ProduceRequest.validateRecords rejects legacy batches in produce v3+ with
//     InvalidRecordException, which is INVALID_RECORD since Kafka 2.5), RecordsCount <= 0 or
//     inconsistent with LastOffsetDelta, records that do not parse, a record count different
//     from RecordsCount, offset deltas that are not 0, 1, 2, ... (Kafka's LogValidator); a
//     compacted batch (BatchValidationOptions::allow_compacted) may have fewer records than its
//     offset span, at strictly increasing deltas.
//   * UNSUPPORTED_COMPRESSION_TYPE: compression codec id 5..7.
//
// Thread-safety: everything here is a pure function of its arguments (no shared state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"
#include "common/strong_types.h"

namespace ferry::storage {

// Byte offsets of the header fields, for code that must patch bytes directly.
namespace batch_layout {
inline constexpr size_t kBaseOffset = 0;
inline constexpr size_t kBatchLength = 8;
inline constexpr size_t kPartitionLeaderEpoch = 12;
inline constexpr size_t kMagic = 16;
inline constexpr size_t kCrc = 17;
inline constexpr size_t kAttributes = 21;
inline constexpr size_t kLastOffsetDelta = 23;
inline constexpr size_t kBaseTimestamp = 27;
inline constexpr size_t kMaxTimestamp = 35;
inline constexpr size_t kProducerId = 43;
inline constexpr size_t kProducerEpoch = 51;
inline constexpr size_t kBaseSequence = 53;
inline constexpr size_t kRecordsCount = 57;
inline constexpr size_t kRecords = 61;
// BaseOffset + BatchLength: the bytes not counted by BatchLength.
inline constexpr size_t kLogOverhead = 12;
inline constexpr size_t kHeaderSize = 61;
// The smallest legal BatchLength (a header and no records).
inline constexpr int32_t kMinBatchLength = static_cast<int32_t>(kHeaderSize - kLogOverhead);
}  // namespace batch_layout

inline constexpr int8_t kMagicV2 = 2;
inline constexpr int64_t kNoTimestamp = -1;
inline constexpr int64_t kNoProducerId = -1;
inline constexpr int16_t kNoProducerEpoch = -1;
inline constexpr int32_t kNoSequence = -1;

enum class CompressionType : uint8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };
std::string_view compression_name(CompressionType type);

// Kafka's message.timestamp.type.
enum class TimestampType : uint8_t { kCreateTime = 0, kLogAppendTime = 1 };

namespace batch_attributes {
inline constexpr int16_t kCompressionMask = 0x07;
inline constexpr int16_t kTimestampTypeBit = 0x08;
inline constexpr int16_t kTransactionalBit = 0x10;
inline constexpr int16_t kControlBit = 0x20;
inline constexpr int16_t kDeleteHorizonBit = 0x40;
}  // namespace batch_attributes

// A read-only view of one batch. The span must hold at least the 61-byte header (checked by
// the factory functions below); accessors read the header fields as stored, with no validation.
// The view does not own the bytes: keep the buffer alive while the view is used.
class RecordBatchView {
 public:
  // Requires data.size() >= batch_layout::kHeaderSize (asserted).
  explicit RecordBatchView(ByteSpan data);

  Offset base_offset() const;
  int32_t batch_length() const;
  LeaderEpoch partition_leader_epoch() const;
  int8_t magic() const;
  uint32_t crc() const;
  int16_t attributes() const;
  // Raw codec id (0..7); compression() maps 0..4 and is only meaningful after validation.
  int compression_id() const { return attributes() & batch_attributes::kCompressionMask; }
  CompressionType compression() const { return static_cast<CompressionType>(compression_id()); }
  TimestampType timestamp_type() const;
  bool is_transactional() const;
  bool is_control() const;
  int32_t last_offset_delta() const;
  int64_t base_timestamp() const;
  int64_t max_timestamp() const;
  int64_t producer_id() const;
  int16_t producer_epoch() const;
  int32_t base_sequence() const;
  int32_t records_count() const;

  // Wrapping (as Kafka's Java arithmetic): an unvalidated batch may carry any base offset.
  Offset last_offset() const {
    return Offset(static_cast<int64_t>(static_cast<uint64_t>(base_offset().value()) +
                                       static_cast<uint64_t>(int64_t{last_offset_delta()})));
  }
  Offset next_offset() const {
    return Offset(static_cast<int64_t>(static_cast<uint64_t>(last_offset().value()) + 1));
  }
  // BatchLength + 12 (as declared; may exceed the bytes viewed if the batch is truncated).
  size_t size_bytes() const;
  // The viewed bytes (the whole batch once validated).
  ByteSpan bytes() const { return data_; }
  // Bytes [61, end): the records, compressed when compression() != kNone.
  ByteSpan records_region() const;
  // CRC-32C of bytes [21, end) as they are now.
  uint32_t compute_crc() const;
  bool crc_matches() const { return compute_crc() == crc(); }

 private:
  ByteSpan data_;
};

// The shape of one batch found in a buffer, after validation.
struct BatchInfo {
  size_t position = 0;  // byte offset of the batch in the buffer
  size_t size = 0;      // BatchLength + 12
  Offset base_offset;
  Offset last_offset;
  LeaderEpoch leader_epoch;
  int32_t records_count = 0;
  int64_t max_timestamp = kNoTimestamp;
  CompressionType compression = CompressionType::kNone;
  bool is_control = false;
};

struct BatchValidationOptions {
  // Check record-level structure (records parse, count, offset deltas); decompresses compressed
  // batches to do so. When false only the header and CRC are checked.
  bool validate_records = true;
  // With validate_records: also decompress compressed batches to check them (Kafka does).
  bool validate_compressed = true;
  // Refuse a batch whose records decompress to more than this (CORRUPT_MESSAGE).
  size_t max_decompressed_bytes = 64u << 20;
  // Accept what log compaction leaves (stored and replicated batches of a compacted log):
  // RecordsCount from 0 to LastOffsetDelta + 1, offset deltas with gaps. Produce never does.
  bool allow_compacted = false;
};

// Checks the header of the batch at the start of `data` without touching its body: at least
// 12 bytes, BatchLength >= 49, 12 + BatchLength <= data.size(), magic in 0..2. Returns a view of
// exactly the batch bytes. Errors: CORRUPT_MESSAGE (see the top of this file), INVALID_RECORD for
// magic 0 or 1.
Result<RecordBatchView> parse_batch_header(ByteSpan data);

// Full validation of one batch (`batch` holds exactly its bytes): header shape, CRC, count vs
// LastOffsetDelta, compression codec, and (options.validate_records) its records.
Status validate_batch(RecordBatchView batch, const BatchValidationOptions& options);

// Validates a buffer of one or more concatenated batches, which must cover it exactly.
// An empty buffer is CORRUPT_MESSAGE. The error message names the failing batch's position.
Result<std::vector<BatchInfo>> validate_batches(ByteSpan buffer,
                                                const BatchValidationOptions& options);

// In-place mutation of one batch (`batch` starts at the batch's first byte and holds at least
// its header). The first two do not touch the CRC (the fields are outside it).
void set_base_offset(std::span<uint8_t> batch, Offset base_offset);
void set_partition_leader_epoch(std::span<uint8_t> batch, LeaderEpoch epoch);
// Marks the batch LogAppendTime with MaxTimestamp = `append_time_ms` and recomputes the CRC.
// `batch` must hold the whole batch.
void set_log_append_time(std::span<uint8_t> batch, int64_t append_time_ms);
// Recomputes and stores the CRC over bytes [21, end). `batch` must hold the whole batch.
void update_crc(std::span<uint8_t> batch);

// ---- Records ------------------------------------------------------------------------------

struct RecordHeader {
  std::string_view key;
  std::optional<ByteSpan> value;  // nullopt = null
};

// One record, with absolute offset and timestamp. Spans point into the batch bytes or into the
// decompressed buffer owned by the DecodedRecords it came from.
struct Record {
  Offset offset;
  int64_t timestamp = kNoTimestamp;
  int8_t attributes = 0;
  std::optional<ByteSpan> key;    // nullopt = null key
  std::optional<ByteSpan> value;  // nullopt = null value (tombstone)
  std::vector<RecordHeader> headers;
};

// The records of one batch. Owns the decompressed bytes (if any) the Records point into; the
// Records of an uncompressed batch point into the batch bytes, which must outlive this.
struct DecodedRecords {
  Bytes decompressed;
  std::vector<Record> records;
};

// Decodes every record (decompressing first if needed). For a LogAppendTime batch every record's
// timestamp is the batch's MaxTimestamp (as Kafka presents it). Errors: CORRUPT_MESSAGE for
// undecodable or oversized compressed data, INVALID_RECORD for malformed records or a count
// different from RecordsCount. Does not check the CRC (validate_batch does).
Result<DecodedRecords> decode_records(RecordBatchView batch, size_t max_decompressed_bytes);

}  // namespace ferry::storage
