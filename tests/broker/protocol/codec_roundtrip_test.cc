// Property tests of the generated codec: every API x every version round-trips, and no input
// (truncated, corrupted) makes a decoder read out of bounds or crash.
#include <gtest/gtest.h>

#include "broker/protocol/generated/messages.h"
#include "broker/protocol/generated/testing.h"
#include "common/random.h"

namespace ferry::broker::kafka {
namespace {

constexpr int kSamplesPerVersion = 40;

// encode(m) -> decode -> encode again must give the same bytes, and decode must consume
// exactly what encode wrote.
template <typename Message>
void expect_round_trip(Random& rng, int16_t version) {
  for (int i = 0; i < kSamplesPerVersion; ++i) {
    Message original;
    testing::randomize(original, rng, version);
    Writer w;
    original.encode(w, version);
    Bytes first = w.take_bytes();

    Message decoded;
    Reader r(first);
    decoded.decode(r, version);
    ASSERT_TRUE(r.ok()) << Message::kName << " v" << version << ": " << r.failure();
    ASSERT_EQ(r.remaining(), 0u) << Message::kName << " v" << version;

    Writer w2;
    decoded.encode(w2, version);
    ASSERT_EQ(w2.take_bytes(), first) << Message::kName << " v" << version;
  }
}

// Every strict prefix of a valid encoding fails cleanly; random byte flips never crash.
template <typename Message>
void expect_robust_decoding(Random& rng, int16_t version) {
  Message original;
  testing::randomize(original, rng, version);
  Writer w;
  original.encode(w, version);
  const Bytes encoded = w.take_bytes();
  for (size_t len = 0; len < encoded.size(); ++len) {
    Bytes prefix(encoded.begin(), encoded.begin() + static_cast<ptrdiff_t>(len));
    Message m;
    Reader r(prefix);
    m.decode(r, version);
    // A prefix may decode when the tail was an optional-looking tagged section; it must then
    // not claim to have consumed more than it was given.
    EXPECT_LE(r.position(), len);
  }
  for (int i = 0; i < 50 && !encoded.empty(); ++i) {
    Bytes mutated = encoded;
    mutated[rng.uniform(mutated.size())] ^= static_cast<uint8_t>(1 + rng.uniform(255));
    Message m;
    Reader r(mutated);
    m.decode(r, version);  // must not crash or read out of bounds (ASan build checks)
  }
}

TEST(KafkaCodec, every_request_and_response_round_trips_in_every_version) {
  SeededRandom rng(seed_from_env());
  for (const auto& api : kApiSchemas) {
    for (int16_t v = api.min_version; v <= api.max_version; ++v) {
      ASSERT_TRUE(with_request_type(api.key, [&]<typename T>() { expect_round_trip<T>(rng, v); }));
      ASSERT_TRUE(with_response_type(api.key, [&]<typename T>() { expect_round_trip<T>(rng, v); }));
    }
  }
}

TEST(KafkaCodec, truncated_or_corrupted_input_never_crashes_a_decoder) {
  SeededRandom rng(seed_from_env());
  for (const auto& api : kApiSchemas) {
    for (int16_t v = api.min_version; v <= api.max_version; ++v) {
      with_request_type(api.key, [&]<typename T>() { expect_robust_decoding<T>(rng, v); });
      with_response_type(api.key, [&]<typename T>() { expect_robust_decoding<T>(rng, v); });
    }
  }
}

TEST(KafkaCodec, unknown_tagged_fields_are_kept_and_re_encoded) {
  MetadataRequest m;
  m.topics.emplace();
  m.unknown_tagged_fields.push_back({7, {0xAA, 0xBB}});
  Writer w;
  m.encode(w, 12);
  Bytes bytes = w.take_bytes();
  MetadataRequest decoded;
  Reader r(bytes);
  decoded.decode(r, 12);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(decoded.unknown_tagged_fields.size(), 1u);
  EXPECT_EQ(decoded.unknown_tagged_fields[0].tag, 7u);
  EXPECT_EQ(decoded.unknown_tagged_fields[0].data, (Bytes{0xAA, 0xBB}));
}

TEST(KafkaCodec, tagged_fields_are_written_only_when_not_default) {
  ProduceResponse resp;
  resp.responses.emplace_back().partition_responses.emplace_back();
  Writer w;
  resp.encode(w, 10);
  const size_t without = w.size();
  resp.responses[0].partition_responses[0].current_leader.leader_id = 3;
  Writer w2;
  resp.encode(w2, 10);
  EXPECT_GT(w2.size(), without);
  Bytes bytes = w2.take_bytes();
  ProduceResponse decoded;
  Reader r(bytes);
  decoded.decode(r, 10);
  ASSERT_TRUE(r.ok()) << r.failure();
  EXPECT_EQ(decoded.responses[0].partition_responses[0].current_leader.leader_id, 3);
  EXPECT_EQ(decoded.responses[0].partition_responses[0].current_leader.leader_epoch, -1);
}

}  // namespace
}  // namespace ferry::broker::kafka
