// __consumer_offsets record bytes (GROUPS.md 4.1) and group placement (GROUPS.md 1.1).
#include "broker/group/offsets_records.h"

#include <gtest/gtest.h>

namespace ferry::broker::group {
namespace {

Bytes hex(std::string_view h) {
  Bytes out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    while (h[i] == ' ')
      ++i;
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

TEST(GroupPlacement, java_string_hash_and_kafka_abs_pick_the_partition) {
  EXPECT_EQ(java_string_hash(""), 0);
  EXPECT_EQ(java_string_hash("my-group"), -1906497762);
  EXPECT_EQ(java_string_hash("test-group"), 627841412);
  EXPECT_EQ(java_string_hash("polygenelubricants"), INT32_MIN);
  EXPECT_EQ(java_string_hash("\xc3\xa9"), 233);                // é
  EXPECT_EQ(java_string_hash("\xf0\x9f\x98\x80g"), 54959972);  // 😀g: a surrogate pair
  EXPECT_EQ(partition_for_group("", 50), 0);
  EXPECT_EQ(partition_for_group("my-group", 50), 12);
  EXPECT_EQ(partition_for_group("test-group", 50), 12);
  EXPECT_EQ(partition_for_group("polygenelubricants", 50), 0);  // Utils.abs(INT32_MIN) = 0
  EXPECT_EQ(partition_for_group("\xc3\xa9", 50), 33);
  EXPECT_EQ(partition_for_group("\xf0\x9f\x98\x80g", 50), 22);
  // Malformed UTF-8 hashes as U+FFFD per bad byte, as Java decodes it.
  EXPECT_EQ(java_string_hash("\xff"), 0xFFFD);
}

TEST(OffsetsRecords, keys_and_values_are_kafkas_bytes) {
  EXPECT_EQ(encode_key(OffsetKey{"g", "t", 3}), hex("0001 0001 67 0001 74 00000003"));
  EXPECT_EQ(encode_key(GroupKey{"g"}), hex("0002 0001 67"));
  OffsetValue v{.offset = 5, .leader_epoch = 2, .metadata = "m", .commit_timestamp_ms = 7};
  EXPECT_EQ(encode_value(v), hex("0003 0000000000000005 00000002 0001 6d 0000000000000007"));
  v.expire_timestamp_ms = 9;  // a v2-4 commit with a retention: value v1
  EXPECT_EQ(encode_value(v),
            hex("0001 0000000000000005 0001 6d 0000000000000007 0000000000000009"));
  GroupValue g;
  g.protocol_type = "consumer";
  g.generation = 1;
  g.protocol = "range";
  g.leader = "a";
  g.current_state_timestamp_ms = 4;
  g.members.push_back(GroupMemberValue{"a", std::nullopt, "c", "/h", 100, 200, {1}, {2, 3}});
  EXPECT_EQ(encode_value(g), hex("0003 0008 636f6e73756d6572 00000001 0005 72616e6765 0001 61"
                                 " 0000000000000004 00000001"
                                 " 0001 61 ffff 0001 63 0002 2f68 00000064 000000c8"
                                 " 00000001 01 00000002 0203"));
}

TEST(OffsetsRecords, every_readable_version_decodes_and_round_trips) {
  const OffsetValue v{.offset = 9, .leader_epoch = 4, .metadata = "x", .commit_timestamp_ms = 1};
  auto back = decode_offset_value(encode_value(v));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
  // v0: offset, metadata, timestamp.
  auto v0 = decode_offset_value(hex("0000 0000000000000009 0000 0000000000000001"));
  ASSERT_TRUE(v0.ok());
  EXPECT_EQ(v0->offset, 9);
  EXPECT_EQ(v0->leader_epoch, -1);
  // Group value v0: no rebalance timeout (it is the session timeout), no state timestamp.
  auto g0 =
      decode_group_value(hex("0000 0001 63 00000002 0001 72 0001 61 00000001"
                             " 0001 61 0001 63 0001 68 00000064 00000000 00000000"));
  ASSERT_TRUE(g0.ok()) << g0.error().to_string();
  ASSERT_EQ(g0->members.size(), 1u);
  EXPECT_EQ(g0->members[0].rebalance_timeout_ms, 100);
  EXPECT_EQ(g0->current_state_timestamp_ms, -1);
  auto key = decode_key(encode_key(OffsetKey{"g", "t", 1}));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(std::get<OffsetKey>(*key), (OffsetKey{"g", "t", 1}));
  auto other = decode_key(hex("0005 0001 67"));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(std::get<OtherKey>(*other).version, 5);
}

TEST(OffsetsRecords, bytes_that_do_not_parse_are_corrupt_not_misread) {
  EXPECT_EQ(decode_key(hex("0001 0005 67")).code(), ErrorCode::CORRUPT_MESSAGE);
  EXPECT_EQ(decode_offset_value(hex("0003 00")).code(), ErrorCode::CORRUPT_MESSAGE);
  EXPECT_EQ(decode_offset_value(hex("0004 00")).code(), ErrorCode::CORRUPT_MESSAGE);
  EXPECT_EQ(
      decode_group_value(hex("0003 0001 63 00000001 ffff ffff 0000000000000000 7fffffff")).code(),
      ErrorCode::CORRUPT_MESSAGE);
  // Trailing bytes are not silently ignored.
  Bytes extra = encode_value(OffsetValue{});
  extra.push_back(0);
  EXPECT_EQ(decode_offset_value(extra).code(), ErrorCode::CORRUPT_MESSAGE);
}

}  // namespace
}  // namespace ferry::broker::group
