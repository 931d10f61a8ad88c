#include "storage/compression.h"

#include <gtest/gtest.h>

#include <string>

#include "common/random.h"

namespace ferry::storage {
namespace {

Bytes sample_data(size_t size, uint64_t seed) {
  SeededRandom rng(seed);
  Bytes data(size);
  // Compressible: words from a small alphabet.
  for (auto& b : data)
    b = static_cast<uint8_t>('a' + rng.uniform(8));
  return data;
}

class CodecRoundTrip : public ::testing::TestWithParam<CompressionType> {};

TEST_P(CodecRoundTrip, compress_then_decompress_returns_the_input) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{1000}, size_t{200'000}}) {
    const Bytes input = sample_data(size, size);
    auto compressed = compress(GetParam(), input);
    ASSERT_TRUE(compressed.ok()) << compressed.error().to_string();
    auto output = decompress(GetParam(), *compressed, 1 << 20);
    ASSERT_TRUE(output.ok()) << output.error().to_string();
    EXPECT_EQ(*output, input) << "size " << size;
  }
}

TEST_P(CodecRoundTrip, output_over_the_limit_is_corrupt_message) {
  const Bytes input(100'000, 'x');
  auto compressed = compress(GetParam(), input);
  ASSERT_TRUE(compressed.ok());
  auto output = decompress(GetParam(), *compressed, 50'000);
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.code(), ErrorCode::CORRUPT_MESSAGE);
}

TEST_P(CodecRoundTrip, garbage_input_is_corrupt_message) {
  const Bytes garbage = sample_data(300, 7);
  auto output = decompress(GetParam(), garbage, 1 << 20);
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.code(), ErrorCode::CORRUPT_MESSAGE);
}

TEST_P(CodecRoundTrip, truncated_input_is_corrupt_message) {
  const Bytes input = sample_data(50'000, 3);
  auto compressed = compress(GetParam(), input);
  ASSERT_TRUE(compressed.ok());
  Bytes cut(compressed->begin(), compressed->begin() + compressed->size() / 2);
  auto output = decompress(GetParam(), cut, 1 << 20);
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.code(), ErrorCode::CORRUPT_MESSAGE);
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, CodecRoundTrip,
                         ::testing::Values(CompressionType::kGzip, CompressionType::kSnappy,
                                           CompressionType::kLz4, CompressionType::kZstd),
                         [](const auto& info) {
                           return std::string(compression_name(info.param));
                         });

TEST(Snappy, raw_and_xerial_framings_both_decompress) {
  const Bytes input = sample_data(100'000, 11);  // > one 32 KiB xerial block
  for (auto framing : {SnappyFraming::kRaw, SnappyFraming::kXerial}) {
    auto compressed = compress(CompressionType::kSnappy, input, framing);
    ASSERT_TRUE(compressed.ok());
    const bool xerial_magic =
        compressed->size() > 8 && (*compressed)[0] == 0x82 && (*compressed)[1] == 'S';
    EXPECT_EQ(xerial_magic, framing == SnappyFraming::kXerial);
    auto output = decompress(CompressionType::kSnappy, *compressed, 1 << 20);
    ASSERT_TRUE(output.ok()) << output.error().to_string();
    EXPECT_EQ(*output, input);
  }
}

TEST(Gzip, concatenated_members_decompress_as_one_stream) {
  const Bytes a = sample_data(1000, 1), b = sample_data(2000, 2);
  Bytes joined = *compress(CompressionType::kGzip, a);
  const Bytes second = *compress(CompressionType::kGzip, b);
  joined.insert(joined.end(), second.begin(), second.end());
  auto output = decompress(CompressionType::kGzip, joined, 1 << 20);
  ASSERT_TRUE(output.ok()) << output.error().to_string();
  Bytes expected = a;
  expected.insert(expected.end(), b.begin(), b.end());
  EXPECT_EQ(*output, expected);
}

}  // namespace
}  // namespace ferry::storage
