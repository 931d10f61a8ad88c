// Segment: recovery scan, trusted load, index rebuild and truncation.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "common/file_util.h"
#include "common/log.h"
#include "storage/segment.h"
#include "storage/segment_reader.h"

namespace ferry::storage {

namespace L = batch_layout;

// Index entries derived while walking batches in order (Kafka's LogSegment.recover rules).
struct IndexBuilder {
  explicit IndexBuilder(int32_t interval_bytes, Offset base)
      : interval(interval_bytes), offset_of_max(base) {}
  int32_t interval;
  uint64_t bytes_since = 0;
  int64_t max_ts = kNoTimestamp;
  Offset offset_of_max;
  std::vector<OffsetEntry> offsets;
  std::vector<TimeEntry> times;

  void add(Offset base, Offset last, int64_t batch_max_ts, uint64_t pos, uint64_t size,
           bool force) {
    if (batch_max_ts > max_ts) {
      max_ts = batch_max_ts;
      offset_of_max = last;
    }
    if (force || bytes_since > static_cast<uint64_t>(interval)) {
      offsets.push_back({force ? base : last, static_cast<uint32_t>(pos)});
      if (max_ts != kNoTimestamp && (times.empty() || max_ts > times.back().timestamp)) {
        times.push_back({max_ts, offset_of_max});
      }
      bytes_since = 0;
    }
    bytes_since += size;
  }
};

namespace {

constexpr size_t kScanWindow = 1 << 20;
constexpr size_t kWalkWindow = 64 << 10;

struct BatchFacts {
  Offset base;
  Offset last;
  int64_t max_ts;
  LeaderEpoch epoch;
  uint64_t size;
};

// A fully valid batch at `pos` whose base offset is exactly `expected`.
std::optional<BatchFacts> valid_batch_at(ChunkReader& r, uint64_t pos, Offset segment_base,
                                         Offset expected, const LeaderEpochCache& epochs,
                                         bool gaps) {
  const auto h = sane_header_at(r, pos);
  if (!h) return std::nullopt;
  const BatchFacts f{h->base_offset(), h->last_offset(), h->max_timestamp(),
                     h->partition_leader_epoch(), h->size_bytes()};
  if (!chains(f.base, expected, gaps)) return std::nullopt;
  // Index entries hold int32 relative offsets (Kafka's LogSegment.recover: ensureOffsetInRange)
  // and int32 positions, so a batch beyond either cannot belong to this segment.
  if (f.last - segment_base > INT32_MAX || pos + f.size > INT32_MAX) return std::nullopt;
  const ByteSpan bytes = r.get(pos, static_cast<size_t>(f.size));
  if (bytes.size() != f.size) return std::nullopt;
  if (!check_stored_batch(RecordBatchView(bytes), std::nullopt, epochs, gaps).ok()) {
    return std::nullopt;
  }
  return f;
}

// Skips the bad batches from `pos` (whose base offset should be `expected`) to the next valid
// one. The base offset is not covered by the CRC, so a batch found by searching past damage
// could carry a flipped offset and be served at offsets it never held. Only a hole its own
// headers explain is skipped: each header sane, each base offset continuing the one before,
// each length landing on the next header, up to a valid batch at exactly the offset reached.
// Anything else leaves no way to place what follows: the caller treats it as a bad tail.
std::optional<SegmentHole> skip_bad_batches(ChunkReader& r, uint64_t pos, Offset segment_base,
                                            Offset expected, const LeaderEpochCache& epochs,
                                            bool gaps) {
  const uint64_t limit = r.limit();
  SegmentHole hole{pos, pos, expected};
  while (hole.to < limit && r.status().ok()) {
    const auto h = sane_header_at(r, hole.to);
    if (!h || !chains(h->base_offset(), hole.next, gaps) ||
        h->last_offset() - segment_base > INT32_MAX) {
      break;
    }
    hole.to += h->size_bytes();
    hole.next = h->last_offset() + 1;
    if (valid_batch_at(r, hole.to, segment_base, hole.next, epochs, gaps)) return hole;
  }
  return std::nullopt;
}

// Whether a valid batch with a base offset >= min_base starts anywhere at or after `from`.
bool any_valid_batch_from(ChunkReader& r, uint64_t from, Offset segment_base, Offset min_base,
                          const LeaderEpochCache& epochs, bool gaps) {
  const uint64_t limit = r.limit();
  // Every byte: after damage the batch boundaries are unknown, and calling valid data a torn
  // tail would truncate it. The magic byte filters most positions cheaply.
  for (uint64_t q = from; q + L::kHeaderSize <= limit && r.status().ok(); ++q) {
    const ByteSpan h = r.get(q, L::kHeaderSize);
    if (h.size() != L::kHeaderSize || h[L::kMagic] != kMagicV2) continue;
    const auto v = sane_header_at(r, q);
    if (v && v->base_offset() >= min_base &&
        valid_batch_at(r, q, segment_base, v->base_offset(), epochs, gaps)) {
      return true;
    }
  }
  return false;
}

Result<uint64_t> file_size(const FileHandle& f) {
  struct stat st {};
  if (::fstat(f.fd(), &st) != 0) return io_error("stat", f.path(), errno);
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace

void Segment::set_index_interval_bytes(int32_t bytes) {
  std::lock_guard lock(mu_);
  index_interval_bytes_ = bytes;
}

Result<SegmentScan> Segment::scan(const LeaderEpochCache& epochs) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(const uint64_t size, file_size(*file_));
  ChunkReader r(*file_, size, kScanWindow);
  IndexBuilder ib(index_interval_bytes_, base_offset_);
  SegmentScan out;
  verified_.clear();
  holes_.clear();
  uint64_t pos = 0;
  Offset expected = base_offset_;
  bool force = false;
  const bool gaps = allow_gaps();
  std::optional<LeaderEpoch> prev_epoch;
  while (pos < size) {
    const auto f = valid_batch_at(r, pos, base_offset_, expected, epochs, gaps);
    if (!r.status().ok()) return r.status().error();
    if (f) {
      ib.add(f->base, f->last, f->max_ts, pos, f->size, force);
      if (!prev_epoch || *prev_epoch != f->epoch) out.epoch_starts.push_back({f->epoch, f->base});
      prev_epoch = f->epoch;
      verified_.add(pos, pos + f->size);
      ++out.valid_batches;
      pos += f->size;
      expected = f->last + 1;
      force = false;
      continue;
    }
    const auto hole = skip_bad_batches(r, pos, base_offset_, expected, epochs, gaps);
    if (!r.status().ok()) return r.status().error();
    if (!hole) {
      out.bad_tail_from = pos;
      out.bad_tail_holds_batches =
          any_valid_batch_from(r, pos + 1, base_offset_, expected, epochs, gaps);
      if (!r.status().ok()) return r.status().error();
      break;
    }
    out.holes.push_back(*hole);
    pos = hole->to;
    expected = hole->next;
    force = true;  // an index entry right at the first good batch: reads never start in a hole
  }
  holes_ = out.holes;
  FERRY_TRY(install_locked(std::move(ib), expected));
  size_.store(size);
  corrupt_tail_.store(out.bad_tail_from.has_value());
  return out;
}

Result<bool> Segment::walk_tail_locked(uint64_t limit) {
  const auto entry = offset_index_.last();
  uint64_t pos = entry ? entry->position : 0;
  ChunkReader r(*file_, limit, kWalkWindow);
  std::optional<Offset> prev_last;
  int64_t max_ts = kNoTimestamp;
  Offset offset_of_max = base_offset_;
  if (const auto t = time_index_.last()) {
    max_ts = t->timestamp;
    offset_of_max = t->offset;
  }
  bool clean = true;
  while (pos < limit) {
    const auto h = sane_header_at(r, pos);
    if (!r.status().ok()) return r.status().error();
    if (!continues_walk(h, prev_last, entry, base_offset_, allow_gaps())) {
      if (!prev_last && entry) return false;  // the index entry does not match: rebuild
      clean = false;
      break;
    }
    const uint64_t since_entry = pos - (entry ? entry->position : 0);
    if (prev_last && since_entry > static_cast<uint64_t>(index_interval_bytes_)) {
      return false;  // an entry is missing here: the index was lost or cut; rebuild
    }
    if (h->max_timestamp() > max_ts) {
      max_ts = h->max_timestamp();
      offset_of_max = h->last_offset();
    }
    prev_last = h->last_offset();
    pos += h->size_bytes();
  }
  next_offset_.store(prev_last ? prev_last->value() + 1
                               : (entry ? entry->offset.value() + 1 : base_offset_.value()));
  bytes_since_index_entry_ = pos - (entry ? entry->position : 0);
  max_timestamp_ = max_ts;
  offset_of_max_timestamp_ = offset_of_max;
  return clean;
}

Status Segment::install_locked(IndexBuilder ib, Offset next) {
  FERRY_TRY(offset_index_.reset(std::move(ib.offsets)));
  FERRY_TRY(time_index_.reset(std::move(ib.times)));
  max_timestamp_ = ib.max_ts;
  offset_of_max_timestamp_ = ib.offset_of_max;
  bytes_since_index_entry_ = ib.bytes_since;
  next_offset_.store(next.value());
  return ok_status();
}

Result<bool> Segment::rebuild_indexes_locked(uint64_t limit) {
  ChunkReader r(*file_, limit, kWalkWindow);
  IndexBuilder ib(index_interval_bytes_, base_offset_);
  uint64_t pos = 0;
  Offset expected = base_offset_;
  bool force = false;
  bool clean = true;
  size_t next_hole = 0;
  while (pos < limit) {
    if (next_hole < holes_.size() && holes_[next_hole].from == pos) {
      pos = holes_[next_hole].to;
      expected = holes_[next_hole++].next;
      force = true;
      continue;
    }
    const auto h = sane_header_at(r, pos);
    if (!r.status().ok()) return r.status().error();
    if (!h || !chains(h->base_offset(), expected, allow_gaps())) {
      clean = false;
      break;
    }
    ib.add(h->base_offset(), h->last_offset(), h->max_timestamp(), pos, h->size_bytes(), force);
    expected = h->last_offset() + 1;
    pos += h->size_bytes();
    force = false;
  }
  FERRY_TRY(install_locked(std::move(ib), expected));
  return clean;
}

Result<bool> Segment::load_trusted() {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(const uint64_t size, file_size(*file_));
  size_.store(size);
  bool clean = false;
  bool walked = false;
  if (offset_index_.is_consistent(base_offset_, Offset::max(), size)) {
    FERRY_ASSIGN_OR_RETURN(walked, walk_tail_locked(size));
    clean = walked;
  }
  if (!walked || !time_index_.is_consistent(base_offset_, next_offset())) {
    logger("storage")->warn("rebuilding indexes of {}", file_->path().string());
    FERRY_ASSIGN_OR_RETURN(clean, rebuild_indexes_locked(size));
  }
  return clean;
}

Status Segment::cut_locked(uint64_t position) {
  if (::ftruncate(file_->fd(), static_cast<off_t>(position)) != 0) {
    return io_error("truncate", file_->path(), errno);
  }
  FERRY_TRY(offset_index_.truncate_to_position(position));
  verified_.truncate(position);
  indexes_dirty_.store(true);
  // Bytes later written at these positions are not synced: the flusher must sync them again.
  if (synced_.load() > position) synced_.store(position);
  std::erase_if(holes_, [&](const SegmentHole& h) { return h.to > position; });
  size_.store(position);
  // First walk: where the log now ends; then drop time entries past it; then walk again so the
  // max timestamp comes only from what is left.
  FERRY_ASSIGN_OR_RETURN(bool clean, walk_tail_locked(position));
  FERRY_TRY(time_index_.truncate_to_offset(next_offset()));
  if (clean) {
    FERRY_ASSIGN_OR_RETURN(clean, walk_tail_locked(position));
  }
  if (!clean) {
    FERRY_ASSIGN_OR_RETURN(const bool rebuilt, rebuild_indexes_locked(position));
    (void)rebuilt;
  }
  corrupt_tail_.store(false);
  if (position == 0) first_append_ms_ = -1;
  return ok_status();
}

Status Segment::cut_bad_tail(uint64_t position) {
  std::lock_guard lock(mu_);
  return cut_locked(position);
}

Status Segment::truncate_to(Offset offset) {
  if (offset <= base_offset_) {
    std::lock_guard lock(mu_);
    return cut_locked(0);
  }
  FERRY_ASSIGN_OR_RETURN(const Located loc, locate(offset, size()));
  if (!loc.found) return ok_status();
  std::lock_guard lock(mu_);
  return cut_locked(loc.position);
}

}  // namespace ferry::storage
