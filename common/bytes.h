// Byte-level encoding shared by the record-batch format (storage/) and the Kafka codec
// (broker/protocol/): big-endian fixed-width integers, zigzag varints (records), unsigned
// varints (flexible protocol versions), and two cursors:
//
//  * ByteReader: bounds-checked, with a sticky failure flag (librdkafka style). Reads past the
//    end return zero values and set failed(); callers read a whole structure, then check ok()
//    once. A reader never reads outside its span.
//  * ByteWriter: appends to a std::vector<uint8_t>; patch_* rewrites a value already written
//    (length prefixes).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ferry {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

inline ByteSpan as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_string_view(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline uint16_t load_be16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline uint64_t load_be64(const uint8_t* p) {
  return (uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline void store_be64(uint8_t* p, uint64_t v) {
  store_be32(p, static_cast<uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<uint32_t>(v));
}

inline uint32_t zigzag_encode32(int32_t n) {
  return (static_cast<uint32_t>(n) << 1) ^ static_cast<uint32_t>(n >> 31);
}
inline uint64_t zigzag_encode64(int64_t n) {
  return (static_cast<uint64_t>(n) << 1) ^ static_cast<uint64_t>(n >> 63);
}
inline int32_t zigzag_decode32(uint32_t n) {
  return static_cast<int32_t>((n >> 1) ^ (~(n & 1) + 1));
}
inline int64_t zigzag_decode64(uint64_t n) {
  return static_cast<int64_t>((n >> 1) ^ (~(n & 1) + 1));
}
// Bytes an unsigned varint of `v` takes.
inline size_t uvarint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(ByteSpan data) : data_(data) {}

  bool ok() const { return !failed_; }
  bool failed() const { return failed_; }
  // Marks the reader failed (a caller found a semantic problem, e.g. a negative length).
  void fail() { failed_ = true; }
  size_t position() const { return pos_; }
  size_t remaining() const { return failed_ ? 0 : data_.size() - pos_; }
  bool at_end() const { return remaining() == 0; }

  uint8_t u8() { return take(1) ? data_[pos_ - 1] : 0; }
  int8_t i8() { return static_cast<int8_t>(u8()); }
  int16_t i16() { return take(2) ? static_cast<int16_t>(load_be16(&data_[pos_ - 2])) : 0; }
  uint16_t u16() { return take(2) ? load_be16(&data_[pos_ - 2]) : 0; }
  int32_t i32() { return take(4) ? static_cast<int32_t>(load_be32(&data_[pos_ - 4])) : 0; }
  uint32_t u32() { return take(4) ? load_be32(&data_[pos_ - 4]) : 0; }
  int64_t i64() { return take(8) ? static_cast<int64_t>(load_be64(&data_[pos_ - 8])) : 0; }
  double f64() {
    const uint64_t bits = static_cast<uint64_t>(i64());
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  // Unsigned base-128 varint, at most `max_bytes` bytes (5 for 32-bit, 10 for 64-bit values).
  uint64_t uvarint(int max_bytes = 10) {
    uint64_t value = 0;
    for (int i = 0; i < max_bytes; ++i) {
      if (!take(1)) return 0;
      const uint8_t b = data_[pos_ - 1];
      value |= uint64_t{b & 0x7Fu} << (7 * i);
      if ((b & 0x80) == 0) return value;
    }
    failed_ = true;
    return 0;
  }
  uint32_t uvarint32() {
    const uint64_t v = uvarint(5);
    if (v > UINT32_MAX) failed_ = true;
    return failed_ ? 0 : static_cast<uint32_t>(v);
  }
  int32_t varint() { return zigzag_decode32(static_cast<uint32_t>(uvarint32())); }
  int64_t varlong() { return zigzag_decode64(uvarint(10)); }

  // The next `n` bytes as a view into the underlying data (empty and failed if short).
  ByteSpan bytes(size_t n) {
    if (!take(n)) return {};
    return data_.subspan(pos_ - n, n);
  }
  void skip(size_t n) { (void)take(n); }

 private:
  bool take(size_t n) {
    if (failed_ || data_.size() - pos_ < n) {
      failed_ = true;
      return false;
    }
    pos_ += n;
    return true;
  }

  ByteSpan data_;
  size_t pos_ = 0;
  bool failed_ = false;
};

class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}

  size_t size() const { return out_.size(); }
  void u8(uint8_t v) { out_.push_back(v); }
  void i8(int8_t v) { out_.push_back(static_cast<uint8_t>(v)); }
  void i16(int16_t v) { put_be(static_cast<uint16_t>(v), 2); }
  void u16(uint16_t v) { put_be(v, 2); }
  void i32(int32_t v) { put_be(static_cast<uint32_t>(v), 4); }
  void u32(uint32_t v) { put_be(v, 4); }
  void i64(int64_t v) { put_be(static_cast<uint64_t>(v), 8); }
  void f64(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    put_be(bits, 8);
  }
  void uvarint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<uint8_t>(v));
  }
  void varint(int32_t v) { uvarint(zigzag_encode32(v)); }
  void varlong(int64_t v) { uvarint(zigzag_encode64(v)); }
  void bytes(ByteSpan b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void bytes(std::string_view s) { bytes(as_bytes(s)); }

  void patch_i32(size_t at, int32_t v) { store_be32(&out_[at], static_cast<uint32_t>(v)); }
  void patch_u32(size_t at, uint32_t v) { store_be32(&out_[at], v); }

 private:
  void put_be(uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i)
      out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }

  Bytes& out_;
};

}  // namespace ferry
