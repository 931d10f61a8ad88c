// Kafka wire codec runtime: the primitives the generated message code (build/.../messages.h,
// from broker/protocol/schema/*.kschema) reads and writes.
//
// Encoding (CLIENTS.md section 4): big-endian integers; classic strings are int16 length +
// UTF-8 (-1 = null), classic bytes/records int32 length (-1 = null), classic arrays int32 count
// (-1 = null). Flexible versions (KIP-482) use compact forms: uvarint(len + 1), 0 = null, and
// end every struct with a tagged-field section:
//
//   uvarint count | { uvarint tag | uvarint size | size bytes } * count     (tags ascending)
//
// Reader: bounds-checked with a sticky failure (first failure reason kept), over a MUTABLE
// frame so that Records decoded from a Produce request are a writable view into the frame
// (the broker stamps offsets into them without a copy). A reader never reads outside its frame
// and never allocates more than the frame could hold (array counts are checked against the
// remaining bytes).
//
// Writer: appends to memory and may splice file regions (Fetch batches sent with sendfile) in
// between memory chunks; the result is a list of chunks plus the total size.
//
// The codec never looks inside a record batch (ARCHITECTURE.md section 2).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/uuid.h"

namespace ferry::broker::kafka {

using ferry::Bytes;

using ferry::Uuid;

// A byte range of an open file, sent with sendfile(2). `owner` keeps the file (and its fd)
// alive until the bytes are on the socket, even if the segment is deleted meanwhile.
struct FileRegion {
  std::shared_ptr<const void> owner;
  int fd = -1;
  int64_t offset = 0;
  size_t length = 0;
};

// The `records` field of Produce and Fetch: null, or a concatenation of parts. A decoded
// Records is a mutable view into the request frame; a built one holds owned bytes and/or file
// regions.
class Records {
 public:
  Records() = default;  // null
  static Records view(std::span<uint8_t> bytes);
  static Records owned(Bytes bytes);
  static Records empty() { return owned(Bytes()); }

  bool is_null() const { return null_; }
  size_t size() const { return size_; }

  // The mutable view of a decoded Records (empty for built ones).
  std::span<uint8_t> mutable_view() const { return view_; }
  // Appends parts (turns a null Records into a non-null one).
  void append(Bytes bytes);
  void append(FileRegion region);

  using Part = std::variant<std::span<uint8_t>, Bytes, FileRegion>;
  const std::vector<Part>& parts() const { return parts_; }
  // All bytes in memory (reads file regions with pread); for tests and small payloads.
  Bytes materialize() const;

  bool operator==(const Records& other) const;

 private:
  bool null_ = true;
  size_t size_ = 0;
  std::span<uint8_t> view_;
  std::vector<Part> parts_;
};

struct TaggedField {
  uint32_t tag = 0;
  Bytes data;
  bool operator==(const TaggedField&) const = default;
};
// Tagged fields a decoder did not know, kept so that re-encoding is byte-identical.
using TaggedFields = std::vector<TaggedField>;

class Reader {
 public:
  explicit Reader(std::span<uint8_t> frame) : base_(frame.data()), in_(ByteSpan(frame)) {}

  bool ok() const { return in_.ok(); }
  // The first failure's reason ("Topics: null array", "truncated", ...).
  const std::string& failure() const { return failure_; }
  void fail(std::string_view reason);
  size_t remaining() const { return in_.remaining(); }
  size_t position() const { return in_.position(); }

  bool boolean() { return in_.u8() != 0; }
  int8_t i8() { return check(in_.i8()); }
  int16_t i16() { return check(in_.i16()); }
  uint16_t u16() { return check(in_.u16()); }
  int32_t i32() { return check(in_.i32()); }
  int64_t i64() { return check(in_.i64()); }
  double f64() { return check(in_.f64()); }
  uint32_t uvarint32() { return check(in_.uvarint32()); }
  Uuid uuid();

  std::string string(bool flexible);
  std::optional<std::string> nullable_string(bool flexible);
  Bytes bytes(bool flexible);
  std::optional<Bytes> nullable_bytes(bool flexible);
  Records records(bool flexible);
  // Element count of an array, -1 for null. Fails when the count is negative (other than -1)
  // or larger than the bytes left, so callers may reserve `count` elements safely.
  int32_t array_length(bool flexible);
  // Reads a tagged-field section. `known(tag, sub_reader)` decodes a field it knows and returns
  // true; other tags are stored in `unknown`. Tags must ascend strictly (KIP-482).
  void tagged_fields(TaggedFields& unknown, const std::function<bool(uint32_t, Reader&)>& known);

 private:
  Reader(uint8_t* base, ByteSpan span) : base_(base), in_(span) {}
  template <typename T>
  T check(T v) {
    if (!in_.ok() && failure_.empty()) failure_ = "truncated";
    return v;
  }
  // Length prefix of a string/bytes: -1 null, else the length (checked against remaining).
  int64_t length_prefix(bool flexible, bool classic_int16);
  std::span<uint8_t> take(size_t n);

  uint8_t* base_;
  ByteReader in_;
  std::string failure_;
};

class Writer {
 public:
  Writer() : out_(&chunks_.emplace_back().bytes) {}

  void boolean(bool v) { w().u8(v ? 1 : 0); }
  void i8(int8_t v) { w().i8(v); }
  void i16(int16_t v) { w().i16(v); }
  void u16(uint16_t v) { w().u16(v); }
  void i32(int32_t v) { w().i32(v); }
  void i64(int64_t v) { w().i64(v); }
  void f64(double v) { w().f64(v); }
  void uvarint(uint64_t v) { w().uvarint(v); }
  void uuid(const Uuid& u) { w().bytes(ByteSpan(u.bytes)); }
  void raw(ByteSpan b) { w().bytes(b); }

  void string(std::string_view s, bool flexible);
  void nullable_string(const std::optional<std::string>& s, bool flexible);
  void bytes(ByteSpan b, bool flexible);
  void nullable_bytes(const std::optional<Bytes>& b, bool flexible);
  void records(const Records& r, bool flexible);
  void array_length(int32_t count, bool flexible);

  // Total bytes written so far, file regions included.
  size_t size() const;

  // A chunk of the encoded output: memory, or a file region to send with sendfile.
  struct Chunk {
    Bytes bytes;
    std::optional<FileRegion> file;
  };
  // The encoded output. The writer is empty afterwards.
  std::vector<Chunk> take_chunks();
  // The encoded output in memory (file regions are read with pread).
  Bytes take_bytes();

 private:
  ByteWriter w() { return ByteWriter(*out_); }

  std::vector<Chunk> chunks_;
  Bytes* out_;
};

// Collects the tagged fields of one struct while encoding, then writes the section.
class TaggedFieldsWriter {
 public:
  // A writer for the payload of field `tag`.
  Writer& begin(uint32_t tag);
  // Writes the section (known fields merged with `unknown`, ascending by tag) to `w`.
  void finish(Writer& w, const TaggedFields& unknown);

 private:
  std::vector<std::pair<uint32_t, std::unique_ptr<Writer>>> fields_;
};

}  // namespace ferry::broker::kafka
