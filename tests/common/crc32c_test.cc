#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "common/random.h"

namespace ferry {
namespace {

using Impl = uint32_t (*)(uint32_t, const uint8_t*, size_t);

struct Vector {
  std::vector<uint8_t> data;
  uint32_t crc;
};

// Test vectors from RFC 3720 (iSCSI), appendix B.4, plus the classic "123456789" check value.
std::vector<Vector> known_vectors() {
  std::vector<Vector> v;
  v.push_back({std::vector<uint8_t>(32, 0x00), 0x8A9136AAu});
  v.push_back({std::vector<uint8_t>(32, 0xFF), 0x62A8AB43u});
  std::vector<uint8_t> ascending(32);
  std::iota(ascending.begin(), ascending.end(), 0);
  v.push_back({ascending, 0x46DD794Eu});
  std::vector<uint8_t> descending(ascending.rbegin(), ascending.rend());
  v.push_back({descending, 0x113FDB5Cu});
  const std::string check = "123456789";
  v.push_back({std::vector<uint8_t>(check.begin(), check.end()), 0xE3069283u});
  v.push_back({{}, 0u});
  return v;
}

void expect_known_vectors(Impl impl) {
  for (const auto& vec : known_vectors()) {
    EXPECT_EQ(impl(0, vec.data.data(), vec.data.size()), vec.crc) << "size " << vec.data.size();
  }
}

TEST(Crc32c, portable_matches_rfc3720_vectors) {
  expect_known_vectors(crc32c_extend_portable);
}

TEST(Crc32c, hardware_matches_rfc3720_vectors) {
  if (!crc32c_hardware_available()) GTEST_SKIP() << "CPU has no SSE4.2";
  expect_known_vectors(crc32c_extend_hardware);
}

TEST(Crc32c, dispatching_entry_point_matches_rfc3720_vectors) {
  expect_known_vectors(crc32c_extend);
}

// The hardware path has a three-lane block loop (>= 1536 bytes) with a tail: compare it with the
// portable one at every length around the block edges and at random offsets/lengths.
TEST(Crc32c, hardware_and_portable_agree_on_all_lengths_and_alignments) {
  if (!crc32c_hardware_available()) GTEST_SKIP() << "CPU has no SSE4.2";
  SeededRandom rng(seed_from_env());
  std::vector<uint8_t> buf(20000);
  for (auto& b : buf)
    b = static_cast<uint8_t>(rng.next_u64());
  for (size_t len = 0; len < 5000; ++len) {
    const size_t start = len % 7;
    ASSERT_EQ(crc32c_extend_hardware(0, buf.data() + start, len),
              crc32c_extend_portable(0, buf.data() + start, len))
        << "len " << len;
  }
  for (int i = 0; i < 200; ++i) {
    const size_t start = rng.uniform(1000);
    const size_t len = rng.uniform(buf.size() - start);
    ASSERT_EQ(crc32c_extend_hardware(0x1234u, buf.data() + start, len),
              crc32c_extend_portable(0x1234u, buf.data() + start, len));
  }
}

TEST(Crc32c, extend_equals_crc_of_concatenation) {
  const std::string a = "hello, ", b = "ferry";
  EXPECT_EQ(crc32c_extend(crc32c(a), reinterpret_cast<const uint8_t*>(b.data()), b.size()),
            crc32c(a + b));
}

}  // namespace
}  // namespace ferry
