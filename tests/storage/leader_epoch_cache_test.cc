#include "storage/leader_epoch_cache.h"

#include <gtest/gtest.h>

namespace ferry::storage {
namespace {

LeaderEpochCache cache_0_3_5() {
  LeaderEpochCache c;
  c.assign(LeaderEpoch(0), Offset(0));
  c.assign(LeaderEpoch(3), Offset(100));
  c.assign(LeaderEpoch(5), Offset(250));
  return c;
}

TEST(LeaderEpochCache, end_offset_of_the_latest_epoch_is_the_log_end) {
  EXPECT_EQ(cache_0_3_5().end_offset_for(LeaderEpoch(5), Offset(300)),
            (EpochEndOffset{LeaderEpoch(5), Offset(300)}));
}

TEST(LeaderEpochCache, end_offset_of_an_older_epoch_is_the_next_epochs_start) {
  const auto c = cache_0_3_5();
  EXPECT_EQ(c.end_offset_for(LeaderEpoch(0), Offset(300)),
            (EpochEndOffset{LeaderEpoch(0), Offset(100)}));
  // An epoch that never wrote answers with the largest epoch below it.
  EXPECT_EQ(c.end_offset_for(LeaderEpoch(4), Offset(300)),
            (EpochEndOffset{LeaderEpoch(3), Offset(250)}));
}

TEST(LeaderEpochCache, unknown_epochs_answer_kafkas_sentinels) {
  const auto c = cache_0_3_5();
  EXPECT_EQ(c.end_offset_for(LeaderEpoch(9), Offset(300)), EpochEndOffset{});
  EXPECT_EQ(c.end_offset_for(LeaderEpoch(-1), Offset(300)), EpochEndOffset{});
  LeaderEpochCache later;
  later.assign(LeaderEpoch(4), Offset(50));
  later.assign(LeaderEpoch(6), Offset(80));
  EXPECT_EQ(later.end_offset_for(LeaderEpoch(2), Offset(100)),
            (EpochEndOffset{LeaderEpoch(2), Offset(50)}));
}

TEST(LeaderEpochCache, assign_drops_entries_that_break_monotonicity) {
  auto c = cache_0_3_5();
  EXPECT_TRUE(c.assign(LeaderEpoch(6), Offset(200)));
  ASSERT_EQ(c.entries().size(), 3u);
  EXPECT_EQ(c.entries().back(), (EpochEntry{LeaderEpoch(6), Offset(200)}));
  EXPECT_FALSE(c.assign(LeaderEpoch(6), Offset(220)));
}

TEST(LeaderEpochCache, truncate_from_end_removes_entries_starting_at_or_after_the_offset) {
  auto c = cache_0_3_5();
  EXPECT_TRUE(c.truncate_from_end(Offset(250)));
  EXPECT_EQ(c.latest()->epoch, LeaderEpoch(3));
  EXPECT_FALSE(c.truncate_from_end(Offset(400)));
}

TEST(LeaderEpochCache, truncate_from_start_keeps_the_covering_epoch_at_the_new_start) {
  auto c = cache_0_3_5();
  EXPECT_TRUE(c.truncate_from_start(Offset(120)));
  ASSERT_EQ(c.entries().size(), 2u);
  EXPECT_EQ(c.entries()[0], (EpochEntry{LeaderEpoch(3), Offset(120)}));
  EXPECT_EQ(c.epoch_for_offset(Offset(130)), LeaderEpoch(3));
  EXPECT_FALSE(c.epoch_for_offset(Offset(119)).has_value());
}

TEST(LeaderEpochCache, checkpoint_text_is_kafkas_format_and_parses_back) {
  const auto c = cache_0_3_5();
  EXPECT_EQ(c.serialize(), "0\n3\n0 0\n3 100\n5 250\n");
  auto parsed = LeaderEpochCache::parse(c.serialize());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->entries(), c.entries());
  EXPECT_FALSE(LeaderEpochCache::parse("0\n2\n0 0\n").ok());
  EXPECT_FALSE(LeaderEpochCache::parse("0\n2\n3 10\n1 20\n").ok());
  EXPECT_FALSE(LeaderEpochCache::parse("1\n0\n").ok());
}

}  // namespace
}  // namespace ferry::storage
