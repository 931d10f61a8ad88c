#include <gtest/gtest.h>

#include "broker/protocol/codec.h"
#include "broker/protocol/generated/messages.h"
#include "broker/protocol/header.h"

namespace ferry::broker::kafka {
namespace {

Bytes encode_metadata_request(const MetadataRequest& m, int16_t version) {
  Writer w;
  m.encode(w, version);
  return w.take_bytes();
}

TEST(KafkaPrimitives, metadata_v0_all_topics_is_an_empty_array) {
  MetadataRequest m;
  m.topics.emplace();
  EXPECT_EQ(encode_metadata_request(m, 0), (Bytes{0, 0, 0, 0}));
}

TEST(KafkaPrimitives, metadata_v1_null_topics_is_minus_one_and_compact_null_is_zero) {
  MetadataRequest m;
  m.topics.reset();  // null: all topics
  const Bytes v1 = encode_metadata_request(m, 1);
  EXPECT_EQ(v1, (Bytes{0xFF, 0xFF, 0xFF, 0xFF}));
  const Bytes v9 = encode_metadata_request(m, 9);
  // null compact array, AllowAutoTopicCreation, IncludeCluster.., IncludeTopic.., no tags
  EXPECT_EQ(v9, (Bytes{0x00, 0x01, 0x00, 0x00, 0x00}));
}

TEST(KafkaPrimitives, compact_empty_string_is_one_byte) {
  Writer w;
  w.string("", /*flexible=*/true);
  w.nullable_string(std::nullopt, /*flexible=*/true);
  w.string("", /*flexible=*/false);
  EXPECT_EQ(w.take_bytes(), (Bytes{0x01, 0x00, 0x00, 0x00}));
}

TEST(KafkaPrimitives, non_nullable_field_rejects_null) {
  Bytes frame{0xFF, 0xFF};  // classic string length -1
  Reader r(frame);
  (void)r.string(false);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.failure(), "non-nullable string is null");
}

TEST(KafkaPrimitives, huge_array_count_fails_without_allocating) {
  Bytes frame{0x7F, 0xFF, 0xFF, 0xFF};
  MetadataRequest m;
  Reader r(frame);
  m.decode(r, 1);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.failure(), "array length exceeds the frame");
}

TEST(KafkaPrimitives, decoded_records_are_a_mutable_view_into_the_frame) {
  Bytes frame{0, 0, 0, 3, 'a', 'b', 'c'};
  Reader r(frame);
  Records rec = r.records(false);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(rec.size(), 3u);
  rec.mutable_view()[0] = 'z';
  EXPECT_EQ(frame[4], 'z');
}

TEST(KafkaPrimitives, uuid_text_form_is_base64url_without_padding) {
  Uuid zero;
  EXPECT_EQ(zero.to_string(), "AAAAAAAAAAAAAAAAAAAAAA");
  Uuid u;
  for (size_t i = 0; i < 16; ++i)
    u.bytes[i] = static_cast<uint8_t>(0xF0 + i);
  const auto parsed = Uuid::parse(u.to_string());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, u);
  EXPECT_FALSE(Uuid::parse("not-a-uuid").has_value());
}

TEST(KafkaHeaders, header_versions_follow_flexibility_and_the_api_versions_exception) {
  EXPECT_EQ(request_header_version(9, 8), 1);
  EXPECT_EQ(request_header_version(9, 9), 2);
  EXPECT_EQ(request_header_version(-1, 5), 1);
  EXPECT_EQ(response_header_version(0, 9, 9), 1);
  EXPECT_EQ(response_header_version(kApiVersionsKey, 3, 3), 0);
}

TEST(KafkaHeaders, request_header_v2_keeps_a_classic_client_id) {
  RequestHeader h{18, 3, 42, std::string("kcat"), {}};
  Writer w;
  write_request_header(w, 2, h);
  Bytes bytes = w.take_bytes();
  EXPECT_EQ(bytes, (Bytes{0, 18, 0, 3, 0, 0, 0, 42, 0, 4, 'k', 'c', 'a', 't', 0}));
  Reader r(bytes);
  RequestHeader back;
  read_request_header(r, 2, back);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(back.client_id, "kcat");
  EXPECT_EQ(back.correlation_id, 42);
}

}  // namespace
}  // namespace ferry::broker::kafka

namespace ferry::broker::kafka {
namespace {

TEST(KafkaPrimitives, tagged_fields_must_ascend_strictly) {
  for (const Bytes& section :
       {Bytes{0x02, 0x05, 0x00, 0x03, 0x00}, Bytes{0x02, 0x03, 0x00, 0x03, 0x00}}) {
    Bytes frame = section;
    Reader r(frame);
    TaggedFields unknown;
    r.tagged_fields(unknown, [](uint32_t, Reader&) { return false; });
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.failure(), "tagged fields out of order or repeated");
  }
  Bytes ascending{0x02, 0x03, 0x00, 0x05, 0x00};
  Reader r(ascending);
  TaggedFields unknown;
  r.tagged_fields(unknown, [](uint32_t, Reader&) { return false; });
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(unknown.size(), 2u);
}

}  // namespace
}  // namespace ferry::broker::kafka
