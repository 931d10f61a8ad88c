#include "common/random.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace ferry {
namespace {

TEST(SeededRandom, same_seed_gives_same_sequence) {
  SeededRandom a(42), b(42), c(43);
  bool any_difference = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    any_difference |= (x != c.next_u64());
  }
  EXPECT_TRUE(any_difference);
}

TEST(SeededRandom, range_stays_in_bounds_and_hits_both_ends) {
  SeededRandom rng(7);
  bool lo = false, hi = false;
  for (int i = 0; i < 10000; ++i) {
    const int64_t v = rng.range(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
    lo |= v == -3;
    hi |= v == 3;
  }
  EXPECT_TRUE(lo && hi);
  EXPECT_FALSE(rng.chance(0.0));
  EXPECT_TRUE(rng.chance(1.0));
}

TEST(ManualClock, moves_only_when_advanced) {
  ManualClock clock(1000, 5);
  EXPECT_EQ(clock.wall_ms(), 1000);
  clock.advance_ms(10);
  EXPECT_EQ(clock.wall_ms(), 1010);
  EXPECT_EQ(clock.monotonic_ms(), 15);
}

}  // namespace
}  // namespace ferry
