#include "broker/group/offsets_records.h"

#include <fmt/format.h>

namespace ferry::broker::group {

namespace {

constexpr int16_t kOffsetKeyVersion = 1;  // 0 and 1 share a layout; Kafka writes 1
constexpr int16_t kGroupKeyVersion = 2;
constexpr int16_t kOffsetValueV1 = 1;  // with an expire timestamp
constexpr int16_t kOffsetValueV3 = 3;
constexpr int16_t kGroupValueVersion = 3;

void put_str(ByteWriter& w, std::string_view s) {
  w.i16(static_cast<int16_t>(s.size()));
  w.bytes(s);
}
void put_nstr(ByteWriter& w, const std::optional<std::string>& s) {
  if (!s) return w.i16(-1);
  put_str(w, *s);
}
void put_bytes(ByteWriter& w, const Bytes& b) {
  w.i32(static_cast<int32_t>(b.size()));
  w.bytes(ByteSpan(b));
}

std::string get_str(ByteReader& r) {
  const int16_t n = r.i16();
  if (n < 0) {
    r.fail();
    return {};
  }
  return std::string(as_string_view(r.bytes(static_cast<size_t>(n))));
}
std::optional<std::string> get_nstr(ByteReader& r) {
  const int16_t n = r.i16();
  if (n == -1) return std::nullopt;
  if (n < 0) {
    r.fail();
    return std::nullopt;
  }
  return std::string(as_string_view(r.bytes(static_cast<size_t>(n))));
}
Bytes get_bytes(ByteReader& r) {
  const int32_t n = r.i32();
  if (n < 0) {
    r.fail();
    return {};
  }
  const ByteSpan b = r.bytes(static_cast<size_t>(n));
  return Bytes(b.begin(), b.end());
}

// Flexible (v4) values start with the same fixed fields, in compact encodings: not written by
// Kafka's current brokers (they write v3) and not by Ferry; refused rather than misread.
Error unsupported(std::string_view what, int16_t version) {
  return Error(ErrorCode::CORRUPT_MESSAGE,
               fmt::format("{} version {} is not one this coordinator reads", what, version));
}

Error corrupt(std::string_view what, int16_t version) {
  return Error(ErrorCode::CORRUPT_MESSAGE,
               fmt::format("{} version {} does not parse", what, version));
}

// The next UTF-16 code units of a UTF-8 sequence starting at s[i]; advances i. Malformed
// input (bad lead byte, truncated or non-continuation byte, overlong or surrogate encoding)
// yields U+FFFD for the offending byte, as Java's decoder does for each malformed byte.
void next_code_units(std::string_view s, size_t& i, std::vector<uint16_t>& out) {
  const auto b = static_cast<uint8_t>(s[i]);
  auto cont = [&](size_t k) {
    return i + k < s.size() && (static_cast<uint8_t>(s[i + k]) & 0xC0) == 0x80;
  };
  auto bits = [&](size_t k) {
    return static_cast<uint32_t>(static_cast<uint8_t>(s[i + k]) & 0x3F);
  };
  uint32_t cp = 0;
  size_t len = 0;
  if (b < 0x80) {
    cp = b;
    len = 1;
  } else if (b >= 0xC2 && b < 0xE0 && cont(1)) {
    cp = ((b & 0x1Fu) << 6) | bits(1);
    len = 2;
  } else if (b >= 0xE0 && b < 0xF0 && cont(1) && cont(2)) {
    cp = ((b & 0x0Fu) << 12) | (bits(1) << 6) | bits(2);
    len = 3;
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) len = 0;
  } else if (b >= 0xF0 && b < 0xF5 && cont(1) && cont(2) && cont(3)) {
    cp = ((b & 0x07u) << 18) | (bits(1) << 12) | (bits(2) << 6) | bits(3);
    len = 4;
    if (cp < 0x10000 || cp > 0x10FFFF) len = 0;
  }
  if (len == 0) {
    out.push_back(0xFFFD);
    ++i;
    return;
  }
  i += len;
  if (cp < 0x10000) {
    out.push_back(static_cast<uint16_t>(cp));
  } else {
    cp -= 0x10000;
    out.push_back(static_cast<uint16_t>(0xD800 + (cp >> 10)));
    out.push_back(static_cast<uint16_t>(0xDC00 + (cp & 0x3FF)));
  }
}

}  // namespace

int32_t java_string_hash(std::string_view s) {
  uint32_t h = 0;  // wrapping int32 arithmetic, done unsigned to stay defined
  std::vector<uint16_t> units;
  for (size_t i = 0; i < s.size();) {
    units.clear();
    next_code_units(s, i, units);
    for (const uint16_t u : units)
      h = 31 * h + u;
  }
  return static_cast<int32_t>(h);
}

int32_t partition_for_group(std::string_view group_id, int32_t partitions) {
  const int32_t h = java_string_hash(group_id);
  // Kafka's Utils.abs: INT32_MIN maps to 0 (std::abs of it is undefined behaviour).
  const int32_t positive = h == INT32_MIN ? 0 : (h < 0 ? -h : h);
  return positive % partitions;
}

Bytes encode_key(const OffsetKey& key) {
  Bytes out;
  ByteWriter w(out);
  w.i16(kOffsetKeyVersion);
  put_str(w, key.group);
  put_str(w, key.topic);
  w.i32(key.partition);
  return out;
}

Bytes encode_key(const GroupKey& key) {
  Bytes out;
  ByteWriter w(out);
  w.i16(kGroupKeyVersion);
  put_str(w, key.group);
  return out;
}

Bytes encode_value(const OffsetValue& v) {
  Bytes out;
  ByteWriter w(out);
  if (v.expire_timestamp_ms >= 0) {
    w.i16(kOffsetValueV1);
    w.i64(v.offset);
    put_str(w, v.metadata);
    w.i64(v.commit_timestamp_ms);
    w.i64(v.expire_timestamp_ms);
    return out;
  }
  w.i16(kOffsetValueV3);
  w.i64(v.offset);
  w.i32(v.leader_epoch);
  put_str(w, v.metadata);
  w.i64(v.commit_timestamp_ms);
  return out;
}

Bytes encode_value(const GroupValue& v) {
  Bytes out;
  ByteWriter w(out);
  w.i16(kGroupValueVersion);
  put_str(w, v.protocol_type);
  w.i32(v.generation);
  put_nstr(w, v.protocol);
  put_nstr(w, v.leader);
  w.i64(v.current_state_timestamp_ms);
  w.i32(static_cast<int32_t>(v.members.size()));
  for (const auto& m : v.members) {
    put_str(w, m.member_id);
    put_nstr(w, m.instance_id);
    put_str(w, m.client_id);
    put_str(w, m.client_host);
    w.i32(m.rebalance_timeout_ms);
    w.i32(m.session_timeout_ms);
    put_bytes(w, m.subscription);
    put_bytes(w, m.assignment);
  }
  return out;
}

Result<RecordKey> decode_key(ByteSpan key) {
  ByteReader r(key);
  const int16_t version = r.i16();
  if (!r.ok()) return corrupt("record key", version);
  RecordKey out;
  if (version == 0 || version == 1) {
    OffsetKey k;
    k.group = get_str(r);
    k.topic = get_str(r);
    k.partition = r.i32();
    out = std::move(k);
  } else if (version == 2) {
    out = GroupKey{get_str(r)};
  } else {
    return RecordKey(OtherKey{version});
  }
  if (!r.ok() || !r.at_end()) return corrupt("record key", version);
  return out;
}

Result<OffsetValue> decode_offset_value(ByteSpan value) {
  ByteReader r(value);
  const int16_t version = r.i16();
  if (version < 0 || version > 3) return unsupported("offset commit value", version);
  OffsetValue v;
  v.offset = r.i64();
  if (version >= 3) v.leader_epoch = r.i32();
  v.metadata = get_str(r);
  v.commit_timestamp_ms = r.i64();
  if (version == 1) v.expire_timestamp_ms = r.i64();
  if (!r.ok() || !r.at_end()) return corrupt("offset commit value", version);
  return v;
}

Result<GroupValue> decode_group_value(ByteSpan value) {
  ByteReader r(value);
  const int16_t version = r.i16();
  if (version < 0 || version > 3) return unsupported("group metadata value", version);
  GroupValue v;
  v.protocol_type = get_str(r);
  v.generation = r.i32();
  v.protocol = get_nstr(r);
  v.leader = get_nstr(r);
  if (version >= 2) v.current_state_timestamp_ms = r.i64();
  const int32_t n = r.i32();
  if (n < 0 || static_cast<size_t>(n) > r.remaining()) r.fail();
  for (int32_t i = 0; r.ok() && i < n; ++i) {
    GroupMemberValue m;
    m.member_id = get_str(r);
    if (version >= 3) m.instance_id = get_nstr(r);
    m.client_id = get_str(r);
    m.client_host = get_str(r);
    m.rebalance_timeout_ms = version >= 1 ? r.i32() : -1;
    m.session_timeout_ms = r.i32();
    if (version == 0) m.rebalance_timeout_ms = m.session_timeout_ms;
    m.subscription = get_bytes(r);
    m.assignment = get_bytes(r);
    v.members.push_back(std::move(m));
  }
  if (!r.ok() || !r.at_end()) return corrupt("group metadata value", version);
  return v;
}

}  // namespace ferry::broker::group
