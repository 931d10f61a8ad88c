// The records of `__consumer_offsets`, byte for byte as Kafka writes them (GROUPS.md 4.1), so
// Kafka's own tools (the offsets formatters, kafka-dump-log --offsets-decoder, Burrow) can read
// the topic. Key = int16 key version (really the record type) + key struct; value = int16 value
// version + value struct, or null (a tombstone). Non-flexible encodings only: Kafka writes the
// highest non-flexible versions (OffsetCommitValue v3, or v1 with an expire timestamp;
// GroupMetadataValue v3) and tools older than KIP-915 reject the flexible ones.
//
// Also the placement rule: a group lives on partition abs(String.hashCode(group)) mod the
// partition count (GROUPS.md 1.1), with Java's hashCode over UTF-16 code units and Kafka's
// Utils.abs (INT32_MIN maps to 0).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/error.h"

namespace ferry::broker::group {

// Java's String.hashCode of the UTF-8 string `s` decoded to UTF-16 (malformed UTF-8 counts as
// U+FFFD, as Java's decoder does).
int32_t java_string_hash(std::string_view s);
// The __consumer_offsets partition of `group_id` among `partitions` (> 0).
int32_t partition_for_group(std::string_view group_id, int32_t partitions);

struct OffsetKey {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const OffsetKey&) const = default;
};

struct GroupKey {
  std::string group;
  auto operator<=>(const GroupKey&) const = default;
};

struct OffsetValue {
  int64_t offset = 0;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp_ms = 0;
  int64_t expire_timestamp_ms = -1;  // -1: none (written as v3); else written as v1
  bool operator==(const OffsetValue&) const = default;
};

struct GroupMemberValue {
  std::string member_id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;
  int32_t session_timeout_ms = 0;
  Bytes subscription;
  Bytes assignment;
  bool operator==(const GroupMemberValue&) const = default;
};

struct GroupValue {
  std::string protocol_type;
  int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t current_state_timestamp_ms = -1;
  std::vector<GroupMemberValue> members;
  bool operator==(const GroupValue&) const = default;
};

Bytes encode_key(const OffsetKey& key);
Bytes encode_key(const GroupKey& key);
Bytes encode_value(const OffsetValue& value);
Bytes encode_value(const GroupValue& value);

// A key of a record type this coordinator does not handle (KIP-848 and share-group records):
// the loader skips it, as Kafka's does.
struct OtherKey {
  int16_t version = 0;
};
using RecordKey = std::variant<OffsetKey, GroupKey, OtherKey>;

// CORRUPT_MESSAGE when the bytes do not parse as the version they announce.
Result<RecordKey> decode_key(ByteSpan key);
// Offset values v0-v4 (v4, flexible, only as far as its fixed fields go) and group values v0-v4.
Result<OffsetValue> decode_offset_value(ByteSpan value);
Result<GroupValue> decode_group_value(ByteSpan value);

}  // namespace ferry::broker::group
