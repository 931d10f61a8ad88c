#include "broker/protocol/codec.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/assert.h"

namespace ferry::broker::kafka {

// ---- Records ---------------------------------------------------------------------------------

Records Records::view(std::span<uint8_t> bytes) {
  Records r;
  r.null_ = false;
  r.size_ = bytes.size();
  r.view_ = bytes;
  r.parts_.emplace_back(bytes);
  return r;
}

Records Records::owned(Bytes bytes) {
  Records r;
  r.append(std::move(bytes));
  return r;
}

void Records::append(Bytes bytes) {
  null_ = false;
  size_ += bytes.size();
  parts_.emplace_back(std::move(bytes));
}

void Records::append(FileRegion region) {
  null_ = false;
  size_ += region.length;
  parts_.emplace_back(std::move(region));
}

namespace {
void append_file_region(Bytes& out, const FileRegion& region) {
  const size_t start = out.size();
  out.resize(start + region.length);
  size_t done = 0;
  while (done < region.length) {
    const ssize_t n = ::pread(region.fd, out.data() + start + done, region.length - done,
                              region.offset + static_cast<int64_t>(done));
    if (n < 0 && errno == EINTR) continue;
    FERRY_ASSERT(n > 0, "pread of a file region failed (fd {} offset {})", region.fd,
                 region.offset);
    done += static_cast<size_t>(n);
  }
}
}  // namespace

Bytes Records::materialize() const {
  Bytes out;
  out.reserve(size_);
  for (const auto& part : parts_) {
    if (const auto* v = std::get_if<std::span<uint8_t>>(&part)) {
      out.insert(out.end(), v->begin(), v->end());
    } else if (const auto* b = std::get_if<Bytes>(&part)) {
      out.insert(out.end(), b->begin(), b->end());
    } else {
      append_file_region(out, std::get<FileRegion>(part));
    }
  }
  return out;
}

bool Records::operator==(const Records& other) const {
  if (null_ != other.null_ || size_ != other.size_) return false;
  return materialize() == other.materialize();
}

// ---- Reader ----------------------------------------------------------------------------------

void Reader::fail(std::string_view reason) {
  if (failure_.empty()) failure_ = std::string(reason);
  in_.fail();
}

Uuid Reader::uuid() {
  Uuid u;
  const auto b = in_.bytes(16);
  if (check(b.size()) == 16) std::copy(b.begin(), b.end(), u.bytes.begin());
  return u;
}

int64_t Reader::length_prefix(bool flexible, bool classic_int16) {
  int64_t len;
  if (flexible) {
    len = static_cast<int64_t>(uvarint32()) - 1;
  } else {
    len = classic_int16 ? i16() : i32();
  }
  if (!ok()) return -1;
  if (len < -1) {
    fail("negative length");
    return -1;
  }
  if (len > static_cast<int64_t>(remaining())) {
    fail("length exceeds the frame");
    return -1;
  }
  return len;
}

std::span<uint8_t> Reader::take(size_t n) {
  const size_t at = in_.position();
  in_.skip(n);
  if (!ok()) return {};
  return {base_ + at, n};
}

std::optional<std::string> Reader::nullable_string(bool flexible) {
  const int64_t len = length_prefix(flexible, /*classic_int16=*/true);
  if (len < 0) return std::nullopt;
  const auto b = take(static_cast<size_t>(len));
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::string Reader::string(bool flexible) {
  const int64_t len = length_prefix(flexible, /*classic_int16=*/true);
  if (len < 0) {
    if (ok()) fail("non-nullable string is null");
    return {};
  }
  const auto b = take(static_cast<size_t>(len));
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::optional<Bytes> Reader::nullable_bytes(bool flexible) {
  const int64_t len = length_prefix(flexible, /*classic_int16=*/false);
  if (len < 0) return std::nullopt;
  const auto b = take(static_cast<size_t>(len));
  return Bytes(b.begin(), b.end());
}

Bytes Reader::bytes(bool flexible) {
  auto b = nullable_bytes(flexible);
  if (!b.has_value()) {
    if (ok()) fail("non-nullable bytes are null");
    return {};
  }
  return std::move(*b);
}

Records Reader::records(bool flexible) {
  const int64_t len = length_prefix(flexible, /*classic_int16=*/false);
  if (len < 0) return Records();
  return Records::view(take(static_cast<size_t>(len)));
}

int32_t Reader::array_length(bool flexible) {
  int64_t n = flexible ? static_cast<int64_t>(uvarint32()) - 1 : i32();
  if (!ok()) return -1;
  if (n < -1) {
    fail("negative array length");
    return -1;
  }
  if (n > static_cast<int64_t>(remaining())) {
    fail("array length exceeds the frame");
    return -1;
  }
  return static_cast<int32_t>(n);
}

void Reader::tagged_fields(TaggedFields& unknown,
                           const std::function<bool(uint32_t, Reader&)>& known) {
  const uint32_t count = uvarint32();
  int64_t previous_tag = -1;
  for (uint32_t i = 0; i < count && ok(); ++i) {
    const uint32_t tag = uvarint32();
    const uint32_t size = uvarint32();
    if (!ok()) return;
    // KIP-482: tags ascend strictly (each at most once); anything else is malformed.
    if (static_cast<int64_t>(tag) <= previous_tag) {
      fail("tagged fields out of order or repeated");
      return;
    }
    previous_tag = tag;
    if (size > remaining()) {
      fail("tagged field exceeds the frame");
      return;
    }
    const auto payload = take(size);
    Reader sub(payload.data(), ByteSpan(payload));
    if (!known(tag, sub)) {
      unknown.push_back(TaggedField{tag, Bytes(payload.begin(), payload.end())});
    } else if (!sub.ok()) {
      fail("bad tagged field " + std::to_string(tag) + ": " + sub.failure());
    }
  }
}

// ---- Writer ----------------------------------------------------------------------------------

void Writer::nullable_string(const std::optional<std::string>& s, bool flexible) {
  if (!s.has_value()) {
    flexible ? w().uvarint(0) : w().i16(-1);
    return;
  }
  string(*s, flexible);
}

void Writer::string(std::string_view s, bool flexible) {
  FERRY_ASSERT(flexible || s.size() <= 0x7FFF, "string of {} bytes does not fit int16", s.size());
  flexible ? w().uvarint(s.size() + 1) : w().i16(static_cast<int16_t>(s.size()));
  w().bytes(s);
}

void Writer::nullable_bytes(const std::optional<Bytes>& b, bool flexible) {
  if (!b.has_value()) {
    flexible ? w().uvarint(0) : w().i32(-1);
    return;
  }
  bytes(*b, flexible);
}

void Writer::bytes(ByteSpan b, bool flexible) {
  flexible ? w().uvarint(b.size() + 1) : w().i32(static_cast<int32_t>(b.size()));
  w().bytes(b);
}

void Writer::records(const Records& r, bool flexible) {
  if (r.is_null()) {
    flexible ? w().uvarint(0) : w().i32(-1);
    return;
  }
  flexible ? w().uvarint(r.size() + 1) : w().i32(static_cast<int32_t>(r.size()));
  for (const auto& part : r.parts()) {
    if (const auto* v = std::get_if<std::span<uint8_t>>(&part)) {
      w().bytes(ByteSpan(*v));
    } else if (const auto* b = std::get_if<Bytes>(&part)) {
      w().bytes(*b);
    } else {
      Chunk& file_chunk = chunks_.emplace_back();
      file_chunk.file = std::get<FileRegion>(part);
      out_ = &chunks_.emplace_back().bytes;
    }
  }
}

void Writer::array_length(int32_t count, bool flexible) {
  if (flexible) {
    w().uvarint(static_cast<uint64_t>(static_cast<int64_t>(count) + 1));
  } else {
    w().i32(count);
  }
}

size_t Writer::size() const {
  size_t total = 0;
  for (const auto& c : chunks_)
    total += c.file ? c.file->length : c.bytes.size();
  return total;
}

std::vector<Writer::Chunk> Writer::take_chunks() {
  std::vector<Chunk> out;
  for (auto& c : chunks_) {
    if (c.file || !c.bytes.empty()) out.push_back(std::move(c));
  }
  chunks_.clear();
  out_ = &chunks_.emplace_back().bytes;
  return out;
}

Bytes Writer::take_bytes() {
  Bytes out;
  for (auto& c : take_chunks()) {
    if (c.file) {
      append_file_region(out, *c.file);
    } else if (out.empty()) {
      out = std::move(c.bytes);
    } else {
      out.insert(out.end(), c.bytes.begin(), c.bytes.end());
    }
  }
  return out;
}

// ---- TaggedFieldsWriter ----------------------------------------------------------------------

Writer& TaggedFieldsWriter::begin(uint32_t tag) {
  fields_.emplace_back(tag, std::make_unique<Writer>());
  return *fields_.back().second;
}

void TaggedFieldsWriter::finish(Writer& w, const TaggedFields& unknown) {
  std::vector<std::pair<uint32_t, Bytes>> all;
  all.reserve(fields_.size() + unknown.size());
  for (auto& [tag, writer] : fields_)
    all.emplace_back(tag, writer->take_bytes());
  for (const auto& f : unknown)
    all.emplace_back(f.tag, f.data);
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  w.uvarint(all.size());
  for (const auto& [tag, data] : all) {
    w.uvarint(tag);
    w.uvarint(data.size());
    w.raw(data);
  }
}

}  // namespace ferry::broker::kafka
