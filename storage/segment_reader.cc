#include "storage/segment_reader.h"

#include <algorithm>

namespace ferry::storage {

namespace L = batch_layout;

ByteSpan ChunkReader::get(uint64_t pos, size_t len) {
  if (pos > limit_ || len > limit_ - pos || !status_.ok()) return {};
  if (pos >= buf_pos_ && pos + len <= buf_pos_ + buf_.size()) {
    return ByteSpan(buf_).subspan(pos - buf_pos_, len);
  }
  const size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(len, window_), limit_ - pos));
  buf_.resize(want);
  buf_pos_ = pos;
  Status read = file_.read_exact(pos, buf_.data(), want);
  if (!read.ok()) {
    status_ = std::move(read);
    buf_.clear();
    return {};
  }
  return ByteSpan(buf_).first(len);
}

std::optional<RecordBatchView> sane_header_at(ChunkReader& reader, uint64_t pos) {
  const ByteSpan h = reader.get(pos, L::kHeaderSize);
  if (h.size() != L::kHeaderSize) return std::nullopt;
  const RecordBatchView v(h);
  if (v.batch_length() < L::kMinBatchLength || v.magic() != kMagicV2 || v.last_offset_delta() < 0) {
    return std::nullopt;
  }
  if (v.size_bytes() > reader.limit() - pos) return std::nullopt;
  return v;
}

bool continues_walk(const std::optional<RecordBatchView>& h, std::optional<Offset> prev_last,
                    const std::optional<OffsetEntry>& entry, Offset base, bool gaps) {
  if (!h) return false;
  if (prev_last) return chains(h->base_offset(), *prev_last + 1, gaps);
  // An index entry names a batch's last offset (compaction keeps batches' last offsets).
  if (entry) return h->base_offset() <= entry->offset && entry->offset <= h->last_offset();
  return chains(h->base_offset(), base, gaps);
}

}  // namespace ferry::storage
