#include "common/bytes.h"

#include <gtest/gtest.h>

#include <limits>

namespace ferry {
namespace {

TEST(Bytes, zigzag_varints_match_kafka_examples) {
  Bytes out;
  ByteWriter w(out);
  w.varint(-1);
  w.varint(0);
  w.varint(1);
  EXPECT_EQ(out, (Bytes{0x01, 0x00, 0x02}));
}

TEST(Bytes, varints_round_trip_at_the_extremes) {
  const int64_t values[] = {0,
                            1,
                            -1,
                            63,
                            -64,
                            64,
                            300,
                            std::numeric_limits<int32_t>::max(),
                            std::numeric_limits<int32_t>::min()};
  Bytes out;
  ByteWriter w(out);
  for (int64_t v : values)
    w.varint(static_cast<int32_t>(v));
  w.varlong(std::numeric_limits<int64_t>::min());
  w.varlong(std::numeric_limits<int64_t>::max());
  ByteReader r(out);
  for (int64_t v : values)
    EXPECT_EQ(r.varint(), static_cast<int32_t>(v));
  EXPECT_EQ(r.varlong(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r.varlong(), std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
}

TEST(Bytes, reader_fails_sticky_on_short_input) {
  const Bytes data{0x00, 0x01, 0x02};
  ByteReader r(data);
  EXPECT_EQ(r.i16(), 1);
  EXPECT_EQ(r.i32(), 0);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.u8(), 0) << "a failed reader keeps returning zero";
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(Bytes, overlong_varint_is_rejected) {
  const Bytes data(11, 0x80);
  ByteReader r(data);
  (void)r.varlong();
  EXPECT_FALSE(r.ok());
  const Bytes too_big{0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
  ByteReader r32(too_big);
  (void)r32.uvarint32();
  EXPECT_FALSE(r32.ok()) << "a 5-byte varint above UINT32_MAX is not a 32-bit varint";
}

TEST(Bytes, big_endian_fixed_width_round_trip_and_patch) {
  Bytes out;
  ByteWriter w(out);
  w.i16(-2);
  w.i32(0);
  w.i64(0x0102030405060708);
  w.patch_i32(2, 0x7F000001);
  ByteReader r(out);
  EXPECT_EQ(r.i16(), -2);
  EXPECT_EQ(r.i32(), 0x7F000001);
  EXPECT_EQ(r.i64(), 0x0102030405060708);
  EXPECT_EQ(out[2], 0x7F);
}

}  // namespace
}  // namespace ferry
