// Segment: the reader side (locate, read, timestamp lookups, verification on read).
#include "common/log.h"
#include "storage/segment.h"
#include "storage/segment_reader.h"

namespace ferry::storage {

namespace L = batch_layout;

namespace {
constexpr size_t kReadWindow = 64 << 10;

Error cannot_locate(Offset offset, const FileHandle& f, uint64_t pos) {
  return Error(ErrorCode::CORRUPT_MESSAGE,
               fmt::format("offset {} cannot be served: bad batch header at byte {} of {}", offset,
                           pos, f.path().string()));
}
}  // namespace

Result<Segment::Located> Segment::locate_once(Offset offset, uint64_t size_limit,
                                              bool* index_mismatch) {
  std::optional<OffsetEntry> entry;
  {
    std::lock_guard lock(mu_);
    entry = offset_index_.lookup(offset);
  }
  uint64_t pos = entry ? entry->position : 0;
  ChunkReader r(*file_, size_limit, kReadWindow);
  std::optional<Offset> prev_last;
  while (pos < size_limit) {
    const auto h = sane_header_at(r, pos);
    if (!r.status().ok()) return r.status().error();
    if (!continues_walk(h, prev_last, entry, base_offset_, allow_gaps())) {
      if (!prev_last && entry) *index_mismatch = true;
      return cannot_locate(offset, *file_, pos);
    }
    if (h->last_offset() >= offset) return Located{pos, true};
    prev_last = h->last_offset();
    pos += h->size_bytes();
  }
  return Located{pos, false};
}

Result<Segment::Located> Segment::locate(Offset offset, uint64_t size_limit) {
  bool mismatch = false;
  auto located = locate_once(offset, size_limit, &mismatch);
  if (located.ok() || !mismatch) return located;
  // Segments not scanned at open had their index only shape-checked, so an entry may still
  // name the wrong batch: rebuild it from the log (indexes are derived data) and retry once.
  {
    std::lock_guard lock(mu_);
    logger("storage")->warn("offset index of {} does not match the log; rebuilding",
                            file_->path().string());
    FERRY_ASSIGN_OR_RETURN(const bool clean, rebuild_indexes_locked(size()));
    (void)clean;
  }
  mismatch = false;
  return locate_once(offset, size_limit, &mismatch);
}

Result<Bytes> Segment::read_verified(uint64_t position, uint64_t length,
                                     const LeaderEpochCache& epochs, uint64_t* valid_length) {
  Bytes data(length);
  FERRY_TRY(file_->read_exact(position, data.data(), data.size()));
  uint64_t pos = 0;
  std::optional<Offset> expected;
  while (pos < length) {
    auto parsed = parse_batch_header(ByteSpan(data).subspan(pos));
    Status ok =
        parsed.ok() ? check_stored_batch(*parsed, expected, epochs, allow_gaps()) : parsed.error();
    if (parsed.ok() && ok.ok() && parsed->size_bytes() < L::kHeaderSize) {
      ok = Error(ErrorCode::CORRUPT_MESSAGE, "batch shorter than its header");
    }
    if (!ok.ok()) {
      logger("storage")->error("corrupt batch at byte {} of {} is not served: {}", position + pos,
                               file_->path().string(), ok.error().to_string());
      break;
    }
    expected = parsed->last_offset() + 1;
    pos += parsed->size_bytes();
  }
  {
    std::lock_guard lock(mu_);
    verified_.add(position, position + pos);
  }
  *valid_length = pos;
  data.resize(pos);
  return data;
}

Result<SegmentSlice> Segment::read(Offset offset, uint64_t max_bytes, Offset max_offset_exclusive,
                                   uint64_t size_limit, const LeaderEpochCache& epochs) {
  FERRY_ASSIGN_OR_RETURN(const Located loc, locate(offset, size_limit));
  SegmentSlice slice;
  slice.position = loc.position;
  if (!loc.found) return slice;
  ChunkReader r(*file_, size_limit, kReadWindow);
  // The first batch's header decides what is returned (its offsets against the bound): check
  // the whole batch first when it is not yet verified, so a damaged header is reported, not
  // mistaken for "nothing to read".
  if (const auto first = sane_header_at(r, loc.position)) {
    const uint64_t first_size = first->size_bytes();
    bool verified;
    {
      std::lock_guard lock(mu_);
      verified = verified_.covers(loc.position, loc.position + first_size);
    }
    uint64_t valid = 0;
    if (!verified) {
      FERRY_ASSIGN_OR_RETURN(const Bytes data,
                             read_verified(loc.position, first_size, epochs, &valid));
      if (valid == 0) {
        return Error(ErrorCode::CORRUPT_MESSAGE,
                     fmt::format("the batch holding offset {} in {} is corrupt", offset,
                                 file_->path().string()));
      }
    }
  }
  uint64_t pos = loc.position;
  std::optional<Offset> prev_last;
  while (pos < size_limit) {
    const auto h = sane_header_at(r, pos);
    if (!r.status().ok()) return r.status().error();
    if (!h || (prev_last && !chains(h->base_offset(), *prev_last + 1, allow_gaps()))) break;
    if (h->last_offset() >= max_offset_exclusive) break;
    const uint64_t size = h->size_bytes();
    // KIP-74: the first batch goes whole even past max_bytes, so a consumer always progresses.
    if (slice.length > 0 && slice.length + size > max_bytes) break;
    if (!prev_last) slice.first_offset = h->base_offset();
    slice.last_offset = h->last_offset();
    prev_last = h->last_offset();
    slice.length += size;
    pos += size;
    if (slice.length >= max_bytes) break;
  }
  if (slice.length == 0) return slice;
  bool verified;
  {
    std::lock_guard lock(mu_);
    verified = verified_.covers(slice.position, slice.position + slice.length);
  }
  if (verified) return slice;
  uint64_t valid = 0;
  FERRY_ASSIGN_OR_RETURN(const Bytes data,
                         read_verified(slice.position, slice.length, epochs, &valid));
  if (valid == 0) {
    return Error(ErrorCode::CORRUPT_MESSAGE,
                 fmt::format("the batch holding offset {} in {} is corrupt", offset,
                             file_->path().string()));
  }
  if (valid < slice.length) {
    // Recompute the last offset of what survived: walk the verified bytes.
    uint64_t p = 0;
    while (p < valid) {
      const RecordBatchView v(ByteSpan(data).subspan(p));
      slice.last_offset = v.last_offset();
      p += v.size_bytes();
    }
    slice.length = valid;
  }
  return slice;
}

Result<std::optional<TimestampOffset>> Segment::first_record_at_or_after(
    uint64_t position, int64_t target, Offset min_offset, uint64_t size_limit,
    const LeaderEpochCache& epochs) {
  ChunkReader r(*file_, size_limit, kReadWindow);
  uint64_t pos = position;
  std::optional<Offset> prev_last;
  while (pos < size_limit) {
    const auto h = sane_header_at(r, pos);
    if (!r.status().ok()) return r.status().error();
    if (!h || (prev_last && !chains(h->base_offset(), *prev_last + 1, allow_gaps()))) {
      return cannot_locate(prev_last ? *prev_last + 1 : min_offset, *file_, pos);
    }
    const uint64_t size = h->size_bytes();
    prev_last = h->last_offset();
    if (h->last_offset() >= min_offset && h->max_timestamp() >= target) {
      uint64_t valid = 0;
      FERRY_ASSIGN_OR_RETURN(const Bytes data, read_verified(pos, size, epochs, &valid));
      if (valid != size) return cannot_locate(h->base_offset(), *file_, pos);
      FERRY_ASSIGN_OR_RETURN(const DecodedRecords decoded,
                             decode_records(RecordBatchView(data), 256u << 20));
      for (const Record& rec : decoded.records) {
        if (rec.offset >= min_offset && rec.timestamp >= target) {
          return std::optional<TimestampOffset>(TimestampOffset{rec.timestamp, rec.offset});
        }
      }
    }
    pos += size;
  }
  return std::optional<TimestampOffset>();
}

Result<std::optional<TimestampOffset>> Segment::find_by_timestamp(int64_t target, Offset min_offset,
                                                                  uint64_t size_limit,
                                                                  const LeaderEpochCache& epochs) {
  Offset start = base_offset_;
  {
    std::lock_guard lock(mu_);
    if (max_timestamp_ < target) return std::optional<TimestampOffset>();
    // Batches before the one holding the entry's offset have timestamps below the entry's
    // (<= target), so the search may start there (Kafka's LogSegment.findOffsetByTimestamp).
    if (const auto t = time_index_.lookup(target)) start = t->offset;
  }
  if (start < min_offset) start = min_offset;
  FERRY_ASSIGN_OR_RETURN(const Located loc, locate(start, size_limit));
  if (!loc.found) return std::optional<TimestampOffset>();
  return first_record_at_or_after(loc.position, target, min_offset, size_limit, epochs);
}

Result<std::optional<TimestampOffset>> Segment::find_max_timestamp(uint64_t size_limit,
                                                                   const LeaderEpochCache& epochs) {
  int64_t max_ts;
  Offset at;
  {
    std::lock_guard lock(mu_);
    max_ts = max_timestamp_;
    at = offset_of_max_timestamp_;
  }
  if (max_ts == kNoTimestamp) return std::optional<TimestampOffset>();
  FERRY_ASSIGN_OR_RETURN(const Located loc, locate(at, size_limit));
  if (!loc.found) return std::optional<TimestampOffset>();
  return first_record_at_or_after(loc.position, max_ts, base_offset_, size_limit, epochs);
}

}  // namespace ferry::storage
