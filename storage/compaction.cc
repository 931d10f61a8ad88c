#include "storage/compaction.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "storage/compression.h"

namespace ferry::storage {

namespace L = batch_layout;

// ---- OffsetMap ------------------------------------------------------------------------------

struct OffsetMap::Slot {
  uint64_t hash[2];
  int64_t offset_plus_one;  // 0: empty (so zeroed memory is an empty table)
};

namespace {

uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

// A 64-bit hash of `key` under `seed`: 8-byte words folded through a strong mixer (two seeds give
// the 128 bits a slot stores; Kafka uses MD5 for the same purpose).
uint64_t hash64(ByteSpan key, uint64_t seed) {
  uint64_t h = mix64(seed ^ (key.size() * 0x9e3779b97f4a7c15ull));
  size_t i = 0;
  for (; i + 8 <= key.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, key.data() + i, 8);
    h = mix64(h ^ w) + 0x9e3779b97f4a7c15ull;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, key.data() + i, key.size() - i);
  return mix64(h ^ tail ^ (uint64_t{key.size() - i} << 56));
}

}  // namespace

OffsetMap::OffsetMap(size_t memory_bytes, double load_factor) {
  static_assert(sizeof(Slot) == 24);
  slots_ = std::max<size_t>(memory_bytes / sizeof(Slot), 16);
  limit_ = std::clamp<size_t>(static_cast<size_t>(static_cast<double>(slots_) * load_factor), 1,
                              slots_ - 1);
  clear();
}

OffsetMap::~OffsetMap() {
  std::free(table_);
}

void OffsetMap::clear() {
  // calloc of a large block maps fresh zero pages: only the slots keys land in use memory.
  std::free(table_);
  table_ = static_cast<Slot*>(std::calloc(slots_, sizeof(Slot)));
  FERRY_ASSERT(table_ != nullptr, "cannot allocate the cleaner's offset map ({} slots)", slots_);
  used_ = 0;
}

size_t OffsetMap::find(const uint64_t hash[2]) const {
  size_t i = static_cast<size_t>(hash[0] % slots_);
  while (true) {
    const Slot& s = table_[i];
    if (s.offset_plus_one == 0 || (s.hash[0] == hash[0] && s.hash[1] == hash[1])) return i;
    if (++i == slots_) i = 0;  // never full (limit_ < slots_), so this ends
  }
}

bool OffsetMap::put(ByteSpan key, Offset offset) {
  const uint64_t hash[2] = {hash64(key, 0x5bd1e995u), hash64(key, 0x27d4eb2fu)};
  Slot& s = table_[find(hash)];
  if (s.offset_plus_one == 0) {
    if (used_ >= limit_) return false;
    s.hash[0] = hash[0];
    s.hash[1] = hash[1];
    ++used_;
  }
  s.offset_plus_one = offset.value() + 1;
  return true;
}

std::optional<Offset> OffsetMap::get(ByteSpan key) const {
  const uint64_t hash[2] = {hash64(key, 0x5bd1e995u), hash64(key, 0x27d4eb2fu)};
  const Slot& s = table_[find(hash)];
  if (s.offset_plus_one == 0) return std::nullopt;
  return Offset(s.offset_plus_one - 1);
}

// ---- planning -------------------------------------------------------------------------------

std::optional<CleaningPlan> plan_cleaning(const std::vector<CleanableSegment>& segments,
                                          const LogConfig& config, int64_t now_ms,
                                          std::optional<Offset> checkpoint, Offset log_start,
                                          Offset stable_end) {
  if (!config.compact_policy || segments.size() < 2) return std::nullopt;
  const Offset log_end = segments.back().end_offset;
  CleaningPlan plan;
  // Kafka's cleanableOffsets: a checkpoint outside the log (retention passed it, or a truncation
  // left it past the end) restarts at the log start.
  plan.first_dirty =
      checkpoint && *checkpoint >= log_start && *checkpoint <= log_end ? *checkpoint : log_start;
  Offset bound = std::min(segments.back().base_offset, stable_end);
  if (config.min_compaction_lag_ms > 0) {
    for (size_t i = 0; i + 1 < segments.size(); ++i) {
      const CleanableSegment& s = segments[i];
      if (s.end_offset <= plan.first_dirty) continue;
      if (now_ms - s.largest_timestamp_ms < config.min_compaction_lag_ms) {
        bound = std::min(bound, s.base_offset);
        break;
      }
    }
  }
  // Whole segments only: round down to the start of the segment holding the bound.
  plan.first_uncleanable = segments.front().base_offset;
  for (const CleanableSegment& s : segments) {
    if (s.base_offset <= bound) plan.first_uncleanable = s.base_offset;
  }
  if (plan.first_dirty >= plan.first_uncleanable) return std::nullopt;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    const CleanableSegment& s = segments[i];
    if (s.end_offset <= log_start) continue;
    if (s.end_offset <= plan.first_dirty) {
      plan.clean_bytes += s.size_bytes;
    } else if (s.base_offset < plan.first_uncleanable) {
      plan.dirty_bytes += s.size_bytes;
      // KIP-354, approximated with the segment's newest timestamp (Kafka uses its first batch's):
      // a segment this old has waited at least max.compaction.lag.ms.
      if (config.max_compaction_lag_ms < INT64_MAX &&
          now_ms - s.largest_timestamp_ms > config.max_compaction_lag_ms) {
        plan.forced = true;
      }
    }
  }
  if (plan.dirty_bytes == 0) return std::nullopt;
  plan.dirty_ratio = static_cast<double>(plan.dirty_bytes) /
                     static_cast<double>(plan.clean_bytes + plan.dirty_bytes);
  if (!plan.forced && plan.dirty_ratio <= config.min_cleanable_dirty_ratio) return std::nullopt;
  return plan;
}

std::vector<std::vector<size_t>> group_segments(const std::vector<CleanableSegment>& segments,
                                                int64_t max_bytes) {
  std::vector<std::vector<size_t>> groups;
  uint64_t bytes = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const CleanableSegment& s = segments[i];
    const bool fits = !groups.empty() && bytes + s.size_bytes <= static_cast<uint64_t>(max_bytes) &&
                      s.end_offset - 1 - segments[groups.back().front()].base_offset <= INT32_MAX;
    if (!fits) {
      groups.emplace_back();
      bytes = 0;
    }
    groups.back().push_back(i);
    bytes += s.size_bytes;
  }
  return groups;
}

// ---- filtering ------------------------------------------------------------------------------

bool retain_record(const Record& record, const OffsetMap& map, Offset map_end,
                   bool horizon_passed) {
  if (record.offset > map_end) return true;
  if (!record.key) return false;  // a compacted topic cannot keep a record it cannot key
  if (const auto latest = map.get(*record.key); latest && *latest > record.offset) return false;
  return record.value.has_value() || !horizon_passed;
}

namespace {

void write_nullable(ByteWriter& w, const std::optional<ByteSpan>& b) {
  if (!b) {
    w.varint(-1);
    return;
  }
  w.varint(static_cast<int32_t>(b->size()));
  w.bytes(*b);
}

// The records region of `kept` (uncompressed), deltas relative to `base` and `base_ts`.
Bytes encode_records(const std::vector<const Record*>& kept, Offset base, int64_t base_ts) {
  Bytes out;
  Bytes body;
  ByteWriter w(out);
  for (const Record* r : kept) {
    body.clear();
    ByteWriter b(body);
    b.i8(r->attributes);
    b.varlong(r->timestamp - base_ts);
    b.varint(static_cast<int32_t>(r->offset - base));
    write_nullable(b, r->key);
    write_nullable(b, r->value);
    b.varint(static_cast<int32_t>(r->headers.size()));
    for (const RecordHeader& h : r->headers) {
      b.varint(static_cast<int32_t>(h.key.size()));
      b.bytes(h.key);
      write_nullable(b, h.value);
    }
    w.varint(static_cast<int32_t>(body.size()));
    w.bytes(body);
  }
  return out;
}

bool is_xerial_snappy(ByteSpan region) {
  static constexpr uint8_t kMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
  return region.size() >= 8 && std::memcmp(region.data(), kMagic, 8) == 0;
}

}  // namespace

Result<BatchFilterResult> filter_batch(RecordBatchView batch, const OffsetMap& map, Offset map_end,
                                       int64_t now_ms, int64_t delete_retention_ms,
                                       size_t max_decompressed_bytes) {
  BatchFilterResult out;
  if (batch.is_control()) return out;
  const bool has_horizon = (batch.attributes() & batch_attributes::kDeleteHorizonBit) != 0;
  const bool horizon_passed = has_horizon && now_ms >= batch.base_timestamp();
  FERRY_ASSIGN_OR_RETURN(const DecodedRecords decoded,
                         decode_records(batch, max_decompressed_bytes));
  std::vector<const Record*> kept;
  bool tombstone_kept = false;
  for (const Record& r : decoded.records) {
    if (!retain_record(r, map, map_end, horizon_passed)) continue;
    kept.push_back(&r);
    tombstone_kept = tombstone_kept || !r.value;
  }
  out.records_removed = decoded.records.size() - kept.size();
  if (kept.empty()) {
    out.kind = BatchFilterResult::Kind::kDrop;
    return out;
  }
  const bool stamp_horizon = tombstone_kept && !has_horizon;
  if (out.records_removed == 0 && !stamp_horizon) return out;

  int16_t attributes = batch.attributes();
  const bool log_append_time = batch.timestamp_type() == TimestampType::kLogAppendTime;
  int64_t base_ts = log_append_time ? batch.base_timestamp() : kept.front()->timestamp;
  int64_t max_ts = batch.max_timestamp();
  if (!log_append_time) {
    max_ts = kept.front()->timestamp;
    for (const Record* r : kept)
      max_ts = std::max(max_ts, r->timestamp);
  }
  if (stamp_horizon) {
    attributes = static_cast<int16_t>(attributes | batch_attributes::kDeleteHorizonBit);
    base_ts = now_ms + delete_retention_ms;
  } else if (has_horizon) {
    base_ts = batch.base_timestamp();
  }
  // (A LogAppendTime batch's records read as MaxTimestamp whatever their deltas say.)
  Bytes records = encode_records(kept, batch.base_offset(), base_ts);
  if (batch.compression() != CompressionType::kNone) {
    const SnappyFraming framing =
        is_xerial_snappy(batch.records_region()) ? SnappyFraming::kXerial : SnappyFraming::kRaw;
    FERRY_ASSIGN_OR_RETURN(records, compress(batch.compression(), records, framing));
  }
  Bytes& b = out.rewritten;
  b.reserve(L::kHeaderSize + records.size());
  ByteWriter w(b);
  w.i64(batch.base_offset().value());
  w.i32(static_cast<int32_t>(L::kHeaderSize - L::kLogOverhead + records.size()));
  w.i32(batch.partition_leader_epoch().value());
  w.i8(kMagicV2);
  w.u32(0);  // CRC, below
  w.i16(attributes);
  w.i32(batch.last_offset_delta());  // the last offset survives even if its record did not
  w.i64(base_ts);
  w.i64(max_ts);
  w.i64(batch.producer_id());
  w.i16(batch.producer_epoch());
  w.i32(batch.base_sequence());
  w.i32(static_cast<int32_t>(kept.size()));
  w.bytes(records);
  update_crc(b);
  out.kind = BatchFilterResult::Kind::kRewritten;
  return out;
}

}  // namespace ferry::storage
