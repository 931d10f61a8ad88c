#include "storage/record_batch.h"

#include "common/crc32c.h"
#include "storage/compression.h"

namespace ferry::storage {

namespace L = batch_layout;

std::string_view compression_name(CompressionType type) {
  switch (type) {
    case CompressionType::kNone:
      return "none";
    case CompressionType::kGzip:
      return "gzip";
    case CompressionType::kSnappy:
      return "snappy";
    case CompressionType::kLz4:
      return "lz4";
    case CompressionType::kZstd:
      return "zstd";
  }
  return "unknown";
}

RecordBatchView::RecordBatchView(ByteSpan data) : data_(data) {
  FERRY_ASSERT(data.size() >= L::kHeaderSize, "batch view over {} bytes", data.size());
}

Offset RecordBatchView::base_offset() const {
  return Offset(static_cast<int64_t>(load_be64(data_.data() + L::kBaseOffset)));
}
int32_t RecordBatchView::batch_length() const {
  return static_cast<int32_t>(load_be32(data_.data() + L::kBatchLength));
}
LeaderEpoch RecordBatchView::partition_leader_epoch() const {
  return LeaderEpoch(static_cast<int32_t>(load_be32(data_.data() + L::kPartitionLeaderEpoch)));
}
int8_t RecordBatchView::magic() const {
  return static_cast<int8_t>(data_[L::kMagic]);
}
uint32_t RecordBatchView::crc() const {
  return load_be32(data_.data() + L::kCrc);
}
int16_t RecordBatchView::attributes() const {
  return static_cast<int16_t>(load_be16(data_.data() + L::kAttributes));
}
TimestampType RecordBatchView::timestamp_type() const {
  return (attributes() & batch_attributes::kTimestampTypeBit) ? TimestampType::kLogAppendTime
                                                              : TimestampType::kCreateTime;
}
bool RecordBatchView::is_transactional() const {
  return (attributes() & batch_attributes::kTransactionalBit) != 0;
}
bool RecordBatchView::is_control() const {
  return (attributes() & batch_attributes::kControlBit) != 0;
}
int32_t RecordBatchView::last_offset_delta() const {
  return static_cast<int32_t>(load_be32(data_.data() + L::kLastOffsetDelta));
}
int64_t RecordBatchView::base_timestamp() const {
  return static_cast<int64_t>(load_be64(data_.data() + L::kBaseTimestamp));
}
int64_t RecordBatchView::max_timestamp() const {
  return static_cast<int64_t>(load_be64(data_.data() + L::kMaxTimestamp));
}
int64_t RecordBatchView::producer_id() const {
  return static_cast<int64_t>(load_be64(data_.data() + L::kProducerId));
}
int16_t RecordBatchView::producer_epoch() const {
  return static_cast<int16_t>(load_be16(data_.data() + L::kProducerEpoch));
}
int32_t RecordBatchView::base_sequence() const {
  return static_cast<int32_t>(load_be32(data_.data() + L::kBaseSequence));
}
int32_t RecordBatchView::records_count() const {
  return static_cast<int32_t>(load_be32(data_.data() + L::kRecordsCount));
}
size_t RecordBatchView::size_bytes() const {
  return static_cast<size_t>(static_cast<uint32_t>(batch_length())) + L::kLogOverhead;
}
ByteSpan RecordBatchView::records_region() const {
  return data_.subspan(L::kRecords);
}
uint32_t RecordBatchView::compute_crc() const {
  return crc32c(data_.data() + L::kAttributes, data_.size() - L::kAttributes);
}

Result<RecordBatchView> parse_batch_header(ByteSpan data) {
  if (data.size() < L::kLogOverhead) {
    return Error(ErrorCode::CORRUPT_MESSAGE,
                 fmt::format("{} bytes cannot hold a batch (need at least {})", data.size(),
                             L::kLogOverhead));
  }
  const int32_t length = static_cast<int32_t>(load_be32(data.data() + L::kBatchLength));
  if (length < L::kMinBatchLength) {
    return Error(ErrorCode::CORRUPT_MESSAGE,
                 fmt::format("BatchLength {} is below the minimum {}", length, L::kMinBatchLength));
  }
  const size_t size = static_cast<size_t>(length) + L::kLogOverhead;
  if (size > data.size()) {
    return Error(ErrorCode::CORRUPT_MESSAGE,
                 fmt::format("BatchLength {} needs {} bytes but only {} are present", length, size,
                             data.size()));
  }
  const int8_t magic = static_cast<int8_t>(data[L::kMagic]);
  if (magic < 0 || magic > kMagicV2) {
    return Error(ErrorCode::CORRUPT_MESSAGE, fmt::format("invalid magic byte {}", magic));
  }
  if (magic != kMagicV2) {
    return Error(ErrorCode::INVALID_RECORD,
                 fmt::format("record batches must use magic 2, found legacy magic {}", magic));
  }
  return RecordBatchView(data.first(size));
}

namespace {

Status check_header_fields(RecordBatchView batch, bool allow_compacted) {
  if (batch.compression_id() > static_cast<int>(CompressionType::kZstd)) {
    return Error(ErrorCode::UNSUPPORTED_COMPRESSION_TYPE,
                 fmt::format("unknown compression codec id {}", batch.compression_id()));
  }
  const int32_t count = batch.records_count();
  if (allow_compacted) {
    // The cleaner keeps a batch's base and last offset but removes records from it (GROUPS.md
    // 5.4), so fewer records than the offset span, and possibly none.
    if (count < 0 || batch.last_offset_delta() < 0 ||
        static_cast<int64_t>(count) > int64_t{batch.last_offset_delta()} + 1) {
      return Error(ErrorCode::INVALID_RECORD,
                   fmt::format("RecordsCount {} does not fit LastOffsetDelta {}", count,
                               batch.last_offset_delta()));
    }
    return ok_status();
  }
  if (count <= 0) {
    return Error(ErrorCode::INVALID_RECORD, fmt::format("invalid RecordsCount {}", count));
  }
  if (batch.last_offset_delta() != count - 1) {
    return Error(ErrorCode::INVALID_RECORD,
                 fmt::format("LastOffsetDelta {} is inconsistent with RecordsCount {}",
                             batch.last_offset_delta(), count));
  }
  return ok_status();
}

}  // namespace

Status validate_batch(RecordBatchView batch, const BatchValidationOptions& options) {
  // CRC first: a damaged count or attributes field must be reported as CORRUPT_MESSAGE, not as
  // INVALID_RECORD or UNSUPPORTED_COMPRESSION_TYPE.
  const uint32_t computed = batch.compute_crc();
  if (computed != batch.crc()) {
    return Error(
        ErrorCode::CORRUPT_MESSAGE,
        fmt::format("CRC mismatch: stored 0x{:08x}, computed 0x{:08x}", batch.crc(), computed));
  }
  FERRY_TRY(check_header_fields(batch, options.allow_compacted));
  if (options.validate_records &&
      (batch.compression() == CompressionType::kNone || options.validate_compressed)) {
    FERRY_ASSIGN_OR_RETURN(DecodedRecords decoded,
                           decode_records(batch, options.max_decompressed_bytes));
    (void)decoded;
  }
  return ok_status();
}

Result<std::vector<BatchInfo>> validate_batches(ByteSpan buffer,
                                                const BatchValidationOptions& options) {
  if (buffer.empty()) return Error(ErrorCode::CORRUPT_MESSAGE, "no record batch in the records");
  std::vector<BatchInfo> infos;
  size_t pos = 0;
  while (pos < buffer.size()) {
    auto parsed = parse_batch_header(buffer.subspan(pos));
    if (!parsed.ok()) return parsed.error().with_context(fmt::format("batch at byte {}", pos));
    const RecordBatchView batch = *parsed;
    Status valid = validate_batch(batch, options);
    if (!valid.ok()) return valid.error().with_context(fmt::format("batch at byte {}", pos));
    BatchInfo info;
    info.position = pos;
    info.size = batch.size_bytes();
    info.base_offset = batch.base_offset();
    info.last_offset = batch.last_offset();
    info.leader_epoch = batch.partition_leader_epoch();
    info.records_count = batch.records_count();
    info.max_timestamp = batch.max_timestamp();
    info.compression = batch.compression();
    info.is_control = batch.is_control();
    infos.push_back(info);
    pos += info.size;
  }
  return infos;
}

void set_base_offset(std::span<uint8_t> batch, Offset base_offset) {
  FERRY_ASSERT(batch.size() >= L::kHeaderSize);
  store_be64(batch.data() + L::kBaseOffset, static_cast<uint64_t>(base_offset.value()));
}

void set_partition_leader_epoch(std::span<uint8_t> batch, LeaderEpoch epoch) {
  FERRY_ASSERT(batch.size() >= L::kHeaderSize);
  store_be32(batch.data() + L::kPartitionLeaderEpoch, static_cast<uint32_t>(epoch.value()));
}

void update_crc(std::span<uint8_t> batch) {
  FERRY_ASSERT(batch.size() >= L::kHeaderSize);
  store_be32(batch.data() + L::kCrc,
             crc32c(batch.data() + L::kAttributes, batch.size() - L::kAttributes));
}

void set_log_append_time(std::span<uint8_t> batch, int64_t append_time_ms) {
  FERRY_ASSERT(batch.size() >= L::kHeaderSize);
  const auto attributes =
      static_cast<uint16_t>(load_be16(batch.data() + L::kAttributes) |
                            static_cast<uint16_t>(batch_attributes::kTimestampTypeBit));
  store_be16(batch.data() + L::kAttributes, attributes);
  store_be64(batch.data() + L::kMaxTimestamp, static_cast<uint64_t>(append_time_ms));
  // Attributes and MaxTimestamp lie inside the CRC range, unlike BaseOffset and the epoch
  // (Kafka's DefaultRecordBatch.setMaxTimestamp recomputes it too).
  update_crc(batch);
}

// ---- Records ------------------------------------------------------------------------------

namespace {

// Reads a varint length-prefixed byte string; nullopt for length -1.
std::optional<ByteSpan> read_nullable_bytes(ByteReader& r) {
  const int32_t length = r.varint();
  if (length < -1) {
    r.fail();
    return std::nullopt;
  }
  if (length == -1) return std::nullopt;
  return r.bytes(static_cast<size_t>(length));
}

// Kafka (Java) arithmetic wraps; a hostile batch may carry a base offset or base timestamp
// near the int64 limits, and decoding it must not be undefined behaviour.
int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

// `min_delta`: the previous record's offset delta + 1 (advanced here). Deltas strictly increase up
// to the batch's LastOffsetDelta; with RecordsCount == LastOffsetDelta + 1 (checked for produced
// batches) that means exactly 0, 1, 2, ... as Kafka's LogValidator requires, while a compacted
// batch may skip deltas.
bool read_record(ByteReader& r, RecordBatchView batch, int64_t& min_delta, Record& out) {
  const int32_t length = r.varint();
  if (!r.ok() || length < 0 || static_cast<size_t>(length) > r.remaining()) return false;
  ByteReader body(r.bytes(static_cast<size_t>(length)));
  out.attributes = body.i8();
  const int64_t timestamp_delta = body.varlong();
  const int32_t offset_delta = body.varint();
  if (offset_delta < min_delta || offset_delta > batch.last_offset_delta()) return false;
  min_delta = int64_t{offset_delta} + 1;
  out.offset = Offset(wrapping_add(batch.base_offset().value(), offset_delta));
  out.timestamp = batch.timestamp_type() == TimestampType::kLogAppendTime
                      ? batch.max_timestamp()
                      : wrapping_add(batch.base_timestamp(), timestamp_delta);
  out.key = read_nullable_bytes(body);
  out.value = read_nullable_bytes(body);
  const int32_t header_count = body.varint();
  if (header_count < 0 || static_cast<size_t>(header_count) > body.remaining()) return false;
  out.headers.clear();
  out.headers.reserve(static_cast<size_t>(header_count));
  for (int32_t h = 0; h < header_count && body.ok(); ++h) {
    const int32_t key_length = body.varint();
    if (key_length < 0) return false;
    const ByteSpan key = body.bytes(static_cast<size_t>(key_length));
    out.headers.push_back({as_string_view(key), read_nullable_bytes(body)});
  }
  return body.ok() && body.at_end();
}

}  // namespace

Result<DecodedRecords> decode_records(RecordBatchView batch, size_t max_decompressed_bytes) {
  DecodedRecords out;
  ByteSpan region = batch.records_region();
  if (batch.compression() != CompressionType::kNone) {
    if (batch.compression_id() > static_cast<int>(CompressionType::kZstd)) {
      return Error(ErrorCode::UNSUPPORTED_COMPRESSION_TYPE,
                   fmt::format("unknown compression codec id {}", batch.compression_id()));
    }
    FERRY_ASSIGN_OR_RETURN(out.decompressed,
                           decompress(batch.compression(), region, max_decompressed_bytes));
    region = out.decompressed;
  }
  const int32_t count = batch.records_count();
  // Each record takes at least one byte: bounds the resize() below against a hostile count.
  if (count < 0 || static_cast<size_t>(count) > region.size()) {
    return Error(
        ErrorCode::INVALID_RECORD,
        fmt::format("RecordsCount {} cannot fit in {} bytes of records", count, region.size()));
  }
  out.records.resize(static_cast<size_t>(count));
  ByteReader r(region);
  int64_t min_delta = 0;
  for (int32_t i = 0; i < count; ++i) {
    Record& rec = out.records[static_cast<size_t>(i)];
    if (!read_record(r, batch, min_delta, rec)) {
      return Error(ErrorCode::INVALID_RECORD,
                   fmt::format("record {} of {} is malformed", i, count));
    }
  }
  if (!r.at_end()) {
    return Error(ErrorCode::INVALID_RECORD,
                 fmt::format("{} bytes follow the {} declared records", r.remaining(), count));
  }
  return out;
}

}  // namespace ferry::storage
