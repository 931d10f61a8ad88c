// Internal to storage/: buffered positional reads over a segment file, and the cheap "does a
// sane batch header start here" test used by header walks, recovery and reads.
#pragma once

#include <optional>

#include "common/bytes.h"
#include "common/error.h"
#include "storage/record_batch.h"
#include "storage/segment.h"

namespace ferry::storage {

class ChunkReader {
 public:
  ChunkReader(const FileHandle& file, uint64_t limit, size_t window)
      : file_(file), limit_(limit), window_(window) {}

  // Exactly `len` bytes at `pos`, or an empty span when [pos, pos + len) passes the limit or
  // the read fails (then status() holds the error). The span is valid until the next get().
  ByteSpan get(uint64_t pos, size_t len);
  const Status& status() const { return status_; }
  uint64_t limit() const { return limit_; }

 private:
  const FileHandle& file_;
  uint64_t limit_;
  size_t window_;
  Bytes buf_;
  uint64_t buf_pos_ = 0;
  Status status_;
};

// A view of the 61-byte header at `pos` if it looks like a batch (no CRC check): BatchLength
// >= 49, the batch ends at or before the reader's limit, magic 2, LastOffsetDelta >= 0.
std::optional<RecordBatchView> sane_header_at(ChunkReader& reader, uint64_t pos);

// Whether a batch with base offset `base` may stand where offset `expected` is due: exactly
// there, or, in a log compaction may have left gaps in (`gaps`), anywhere after it.
inline bool chains(Offset base, Offset expected, bool gaps) {
  return gaps ? base >= expected : base == expected;
}

// Whether header `h` continues a header walk. The first header (`prev_last` empty) must hold
// the offset of the index `entry` the walk started from, or start the segment at `base` when
// the walk started at byte 0; every later one must start right after `prev_last` (see chains()).
bool continues_walk(const std::optional<RecordBatchView>& h, std::optional<Offset> prev_last,
                    const std::optional<OffsetEntry>& entry, Offset base, bool gaps);

}  // namespace ferry::storage
