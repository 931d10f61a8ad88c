#include "storage/index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/file_util.h"

namespace ferry::storage {

namespace {

Status pwrite_all(int fd, const uint8_t* data, size_t size, uint64_t at,
                  const std::filesystem::path& path) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(at));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write", path, errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
    at += static_cast<uint64_t>(n);
  }
  return ok_status();
}

}  // namespace

void OffsetCodec::encode(const OffsetEntry& e, Offset base, uint8_t* out) {
  store_be32(out, static_cast<uint32_t>(e.offset - base));
  store_be32(out + 4, e.position);
}
OffsetEntry OffsetCodec::decode(const uint8_t* in, Offset base) {
  return {base + static_cast<int32_t>(load_be32(in)), load_be32(in + 4)};
}
void TimeCodec::encode(const TimeEntry& e, Offset base, uint8_t* out) {
  store_be64(out, static_cast<uint64_t>(e.timestamp));
  store_be32(out + 8, static_cast<uint32_t>(e.offset - base));
}
TimeEntry TimeCodec::decode(const uint8_t* in, Offset base) {
  return {static_cast<int64_t>(load_be64(in)), base + static_cast<int32_t>(load_be32(in + 8))};
}

template <typename Entry, typename Codec>
IndexFile<Entry, Codec>::~IndexFile() {
  if (fd_ >= 0) ::close(fd_);
}

template <typename Entry, typename Codec>
Status IndexFile<Entry, Codec>::open(const std::filesystem::path& path, Offset base_offset) {
  path_ = path;
  base_offset_ = base_offset;
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return io_error("open", path, errno);
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return io_error("stat", path, errno);
  const auto size = static_cast<size_t>(st.st_size);
  // A crash mid-write can leave a partial last entry: is_consistent() then asks for a rebuild
  // rather than trusting the whole entries before it.
  whole_entries_ = size % Codec::kSize == 0;
  Bytes data(size - size % Codec::kSize);
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n =
        ::pread(fd_, data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("read", path, n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  entries_.clear();
  entries_.reserve(data.size() / Codec::kSize);
  for (size_t at = 0; at < data.size(); at += Codec::kSize) {
    entries_.push_back(Codec::decode(data.data() + at, base_offset));
  }
  written_ = entries_.size();
  return ok_status();
}

template <typename Entry, typename Codec>
std::optional<Entry> IndexFile<Entry, Codec>::last() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.back();
}

template <typename Entry, typename Codec>
Status IndexFile<Entry, Codec>::write_pending() {
  if (written_ >= entries_.size()) return ok_status();
  Bytes buf((entries_.size() - written_) * Codec::kSize);
  for (size_t i = written_; i < entries_.size(); ++i) {
    Codec::encode(entries_[i], base_offset_, buf.data() + (i - written_) * Codec::kSize);
  }
  FERRY_TRY(pwrite_all(fd_, buf.data(), buf.size(), written_ * Codec::kSize, path_));
  written_ = entries_.size();
  return ok_status();
}

template <typename Entry, typename Codec>
Status IndexFile<Entry, Codec>::truncate_entries(size_t count) {
  if (count < entries_.size()) entries_.resize(count);
  written_ = std::min(written_, count);
  if (::ftruncate(fd_, static_cast<off_t>(written_ * Codec::kSize)) != 0) {
    return io_error("truncate", path_, errno);
  }
  whole_entries_ = true;
  return write_pending();
}

template <typename Entry, typename Codec>
Status IndexFile<Entry, Codec>::reset(std::vector<Entry> entries) {
  entries_ = std::move(entries);
  written_ = 0;
  if (::ftruncate(fd_, 0) != 0) return io_error("truncate", path_, errno);
  whole_entries_ = true;
  return write_pending();
}

template <typename Entry, typename Codec>
Status IndexFile<Entry, Codec>::sync() {
  if (::fdatasync(fd_) != 0) return io_error("fdatasync", path_, errno);
  return ok_status();
}

template class IndexFile<OffsetEntry, OffsetCodec>;
template class IndexFile<TimeEntry, TimeCodec>;

std::optional<OffsetEntry> OffsetIndex::lookup(Offset target) const {
  const auto& e = entries();
  auto it = std::upper_bound(e.begin(), e.end(), target,
                             [](Offset t, const OffsetEntry& entry) { return t < entry.offset; });
  if (it == e.begin()) return std::nullopt;
  return *std::prev(it);
}

bool OffsetIndex::is_consistent(Offset base, Offset next_offset, uint64_t log_size) const {
  if (!loaded_whole_entries()) return false;
  const auto& e = entries();
  for (size_t i = 0; i < e.size(); ++i) {
    if (e[i].offset < base || e[i].offset >= next_offset || e[i].position >= log_size) {
      return false;
    }
    if (i > 0 && (e[i].offset <= e[i - 1].offset || e[i].position <= e[i - 1].position)) {
      return false;
    }
  }
  return true;
}

Status OffsetIndex::truncate_to_position(uint64_t position) {
  const auto& e = entries();
  size_t keep = 0;
  while (keep < e.size() && e[keep].position < position)
    ++keep;
  return truncate_entries(keep);
}

std::optional<TimeEntry> TimeIndex::lookup(int64_t target) const {
  const auto& e = entries();
  auto it = std::upper_bound(e.begin(), e.end(), target,
                             [](int64_t t, const TimeEntry& entry) { return t < entry.timestamp; });
  if (it == e.begin()) return std::nullopt;
  return *std::prev(it);
}

void TimeIndex::maybe_append(int64_t timestamp, Offset offset) {
  const auto l = last();
  if (l && timestamp <= l->timestamp) return;
  append({timestamp, offset});
}

bool TimeIndex::is_consistent(Offset base, Offset next_offset) const {
  if (!loaded_whole_entries()) return false;
  const auto& e = entries();
  for (size_t i = 0; i < e.size(); ++i) {
    if (e[i].offset < base || e[i].offset >= next_offset) return false;
    if (i > 0 && (e[i].timestamp <= e[i - 1].timestamp || e[i].offset < e[i - 1].offset)) {
      return false;
    }
  }
  return true;
}

Status TimeIndex::truncate_to_offset(Offset offset) {
  const auto& e = entries();
  size_t keep = 0;
  while (keep < e.size() && e[keep].offset < offset)
    ++keep;
  return truncate_entries(keep);
}

}  // namespace ferry::storage
