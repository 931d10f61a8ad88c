#include "storage/segment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/file_util.h"
#include "common/log.h"
#include "storage/segment_reader.h"

namespace ferry::storage {

namespace fs = std::filesystem;
namespace L = batch_layout;

FileHandle::~FileHandle() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileHandle::read_exact(uint64_t position, uint8_t* out, size_t size) const {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd_, out + done, size - done, static_cast<off_t>(position + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("read", path_, errno);
    if (n == 0) {
      return Error(ErrorCode::KAFKA_STORAGE_ERROR, fmt::format("read {}: file ends before byte {}",
                                                               path_.string(), position + size));
    }
    done += static_cast<size_t>(n);
  }
  return ok_status();
}

bool VerifiedRanges::covers(uint64_t start, uint64_t end) const {
  if (start >= end) return true;
  for (const auto& [a, b] : ranges_) {
    if (a <= start && end <= b) return true;
  }
  return false;
}

void VerifiedRanges::add(uint64_t start, uint64_t end) {
  if (start >= end) return;
  ranges_.emplace_back(start, end);
  std::sort(ranges_.begin(), ranges_.end());
  std::vector<std::pair<uint64_t, uint64_t>> merged;
  for (const auto& r : ranges_) {
    if (!merged.empty() && r.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  ranges_ = std::move(merged);
}

void VerifiedRanges::truncate(uint64_t end) {
  std::vector<std::pair<uint64_t, uint64_t>> kept;
  for (auto [a, b] : ranges_) {
    if (a < end) kept.emplace_back(a, std::min(b, end));
  }
  ranges_ = std::move(kept);
}

Status check_stored_batch(RecordBatchView batch, std::optional<Offset> expected_base,
                          const LeaderEpochCache& epochs, bool gaps) {
  BatchValidationOptions shallow;
  shallow.validate_records = false;
  shallow.allow_compacted = gaps;
  FERRY_TRY(validate_batch(batch, shallow));
  // BaseOffset and PartitionLeaderEpoch are outside the CRC: the offset chain and the epoch
  // cache are the only checks that catch damage to them.
  if (expected_base && !chains(batch.base_offset(), *expected_base, gaps)) {
    return Error(ErrorCode::CORRUPT_MESSAGE,
                 fmt::format("batch has base offset {} where {}{} was expected",
                             batch.base_offset(), gaps ? "at least " : "", *expected_base));
  }
  const auto epoch = epochs.epoch_for_offset(batch.base_offset());
  if (epoch && *epoch != batch.partition_leader_epoch()) {
    return Error(ErrorCode::CORRUPT_MESSAGE,
                 fmt::format("batch at offset {} has leader epoch {} but the epoch cache says {}",
                             batch.base_offset(), batch.partition_leader_epoch(), *epoch));
  }
  return ok_status();
}

// ---- construction ---------------------------------------------------------------------------

std::string Segment::file_stem(Offset base_offset) {
  return fmt::format("{:020d}", base_offset.value());
}

fs::path Segment::log_path(const fs::path& dir, Offset base) {
  return dir / (file_stem(base) + ".log");
}

Segment::Segment(fs::path dir, Offset base, std::shared_ptr<FileHandle> file)
    : dir_(std::move(dir)),
      base_offset_(base),
      file_(std::move(file)),
      next_offset_(base.value()),
      offset_of_max_timestamp_(base) {}

Segment::~Segment() = default;

namespace {
Result<std::shared_ptr<FileHandle>> open_log_file(const fs::path& path, bool create) {
  const int flags = O_RDWR | O_CLOEXEC | (create ? (O_CREAT | O_TRUNC) : 0);
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return io_error("open", path, errno);
  return std::make_shared<FileHandle>(fd, path);
}
}  // namespace

Result<std::shared_ptr<Segment>> Segment::create(const fs::path& dir, Offset base, int64_t now_ms) {
  FERRY_ASSIGN_OR_RETURN(auto file, open_log_file(log_path(dir, base), /*create=*/true));
  std::shared_ptr<Segment> seg(new Segment(dir, base, std::move(file)));
  const std::string stem = file_stem(base);
  FERRY_TRY(seg->offset_index_.open(dir / (stem + ".index"), base));
  FERRY_TRY(seg->time_index_.open(dir / (stem + ".timeindex"), base));
  FERRY_TRY(seg->offset_index_.reset({}));
  FERRY_TRY(seg->time_index_.reset({}));
  seg->last_modified_ms_ = now_ms;
  return seg;
}

Result<std::shared_ptr<Segment>> Segment::open(const fs::path& dir, Offset base) {
  FERRY_ASSIGN_OR_RETURN(auto file, open_log_file(log_path(dir, base), /*create=*/false));
  std::shared_ptr<Segment> seg(new Segment(dir, base, std::move(file)));
  const std::string stem = file_stem(base);
  FERRY_TRY(seg->offset_index_.open(dir / (stem + ".index"), base));
  FERRY_TRY(seg->time_index_.open(dir / (stem + ".timeindex"), base));
  struct stat st {};
  if (::fstat(seg->file_->fd(), &st) != 0) return io_error("stat", seg->file_->path(), errno);
  seg->size_.store(static_cast<uint64_t>(st.st_size));
  seg->last_modified_ms_ =
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
  return seg;
}

int64_t Segment::max_timestamp() const {
  std::lock_guard lock(mu_);
  return max_timestamp_;
}
Offset Segment::offset_of_max_timestamp() const {
  std::lock_guard lock(mu_);
  return offset_of_max_timestamp_;
}
int64_t Segment::first_append_ms() const {
  std::lock_guard lock(mu_);
  return first_append_ms_;
}
int64_t Segment::last_modified_ms() const {
  std::lock_guard lock(mu_);
  return last_modified_ms_;
}
size_t Segment::offset_index_entries() const {
  std::lock_guard lock(mu_);
  return offset_index_.entries().size();
}
fs::path Segment::offset_index_path() const {
  return offset_index_.path();
}
fs::path Segment::time_index_path() const {
  return time_index_.path();
}

// ---- writer side ----------------------------------------------------------------------------

Status Segment::append(ByteSpan data, const std::vector<BatchInfo>& batches,
                       int32_t index_interval_bytes, int64_t now_ms) {
  // The bytes are written before mu_ is taken: readers stop at the published size(), so they
  // never see them half-written, and index lookups are not held up by the write.
  const uint64_t old_size = size();
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(file_->fd(), data.data() + done, data.size() - done,
                               static_cast<off_t>(old_size + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const Error err = io_error("write", file_->path(), errno);
      if (::ftruncate(file_->fd(), static_cast<off_t>(old_size)) != 0) {
        return err.with_context("and could not cut the partial write back");
      }
      return err;
    }
    done += static_cast<size_t>(n);
  }
  std::lock_guard lock(mu_);
  const size_t offset_entries = offset_index_.entries().size();
  const size_t time_entries = time_index_.entries().size();
  for (const BatchInfo& b : batches) {
    if (b.max_timestamp > max_timestamp_) {
      max_timestamp_ = b.max_timestamp;
      offset_of_max_timestamp_ = b.last_offset;
    }
    // Kafka's LogSegment.append/recover: an entry (last offset, position) once MORE than
    // index.interval.bytes were written since the last one, so a segment's first batch gets
    // none (lookups then start at byte 0); the time index takes the max timestamp so far.
    if (bytes_since_index_entry_ > static_cast<uint64_t>(index_interval_bytes)) {
      offset_index_.append({b.last_offset, static_cast<uint32_t>(old_size + b.position)});
      time_index_.maybe_append(max_timestamp_, offset_of_max_timestamp_);
      bytes_since_index_entry_ = 0;
    }
    bytes_since_index_entry_ += b.size;
  }
  Status indexed = offset_index_.write_pending();
  if (indexed.ok()) indexed = time_index_.write_pending();
  if (!indexed.ok()) {
    ignore_error(offset_index_.truncate_entries(offset_entries));
    ignore_error(time_index_.truncate_entries(time_entries));
    if (::ftruncate(file_->fd(), static_cast<off_t>(old_size)) != 0) {
      return indexed.error().with_context("and could not cut the log back");
    }
    return indexed;
  }
  if (offset_index_.entries().size() != offset_entries) indexes_dirty_.store(true);
  verified_.add(old_size, old_size + data.size());
  if (first_append_ms_ < 0) first_append_ms_ = now_ms;
  last_modified_ms_ = now_ms;
  // Publish last, size_ after next_offset_: a reader that sees the new size sees the new end.
  next_offset_.store(batches.back().last_offset.value() + 1, std::memory_order_release);
  size_.store(old_size + data.size(), std::memory_order_release);
  return ok_status();
}

Status Segment::seal() {
  std::lock_guard lock(mu_);
  // Dirty: flush() fsyncs a sealed segment's indexes before the recovery point passes it. The
  // final time entry carries the segment's max timestamp (Kafka's onBecomeInactiveSegment).
  indexes_dirty_.store(true);
  if (max_timestamp_ != kNoTimestamp) {
    time_index_.maybe_append(max_timestamp_, offset_of_max_timestamp_);
  }
  FERRY_TRY(offset_index_.write_pending());
  return time_index_.write_pending();
}

Status Segment::sync_log() {
  if (::fdatasync(file_->fd()) != 0) return io_error("fdatasync", file_->path(), errno);
  return ok_status();
}

Status Segment::sync_indexes() {
  std::lock_guard lock(mu_);
  indexes_dirty_.store(false);
  Status synced = offset_index_.sync();
  if (synced.ok()) synced = time_index_.sync();
  if (!synced.ok()) indexes_dirty_.store(true);
  return synced;
}

void Segment::mark_synced(uint64_t size) {
  uint64_t cur = synced_.load();
  while (cur < size && !synced_.compare_exchange_weak(cur, size)) {
  }
}

Status Segment::delete_files() {
  for (const fs::path& p : {file_->path(), offset_index_.path(), time_index_.path()}) {
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) return io_error("unlink", p, errno);
  }
  return ok_status();
}

Status Segment::set_aside(int64_t now_ms) {
  const fs::path from = file_->path();
  const fs::path to = fs::path(fmt::format("{}.corrupt-{}", from.string(), now_ms));
  if (::rename(from.c_str(), to.c_str()) != 0) return io_error("rename", from, errno);
  for (const fs::path& p : {offset_index_.path(), time_index_.path()}) {
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) return io_error("unlink", p, errno);
  }
  return ok_status();
}

}  // namespace ferry::storage
