#include "storage/index.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace ferry::storage {
namespace {

class IndexTest : public ::testing::Test {
 protected:
  ferry::test::TempDir dir_;
  const Offset base_{1000};
};

TEST_F(IndexTest, lookup_below_the_first_entry_finds_nothing) {
  OffsetIndex index;
  ASSERT_TRUE(index.open(dir_.path() / "a.index", base_).ok());
  EXPECT_FALSE(index.lookup(Offset(1000)).has_value());
  index.append({Offset(1010), 4096});
  EXPECT_FALSE(index.lookup(Offset(1009)).has_value());
}

TEST_F(IndexTest, lookup_returns_the_largest_entry_at_or_below_the_target) {
  OffsetIndex index;
  ASSERT_TRUE(index.open(dir_.path() / "a.index", base_).ok());
  index.append({Offset(1010), 4096});
  index.append({Offset(1020), 8192});
  index.append({Offset(1030), 12288});
  EXPECT_EQ(index.lookup(Offset(1010))->position, 4096u);
  EXPECT_EQ(index.lookup(Offset(1019))->position, 4096u);
  EXPECT_EQ(index.lookup(Offset(1020))->position, 8192u);
  EXPECT_EQ(index.lookup(Offset(999999))->position, 12288u);
}

TEST_F(IndexTest, entries_round_trip_through_the_file_as_8_byte_big_endian_relative_pairs) {
  {
    OffsetIndex index;
    ASSERT_TRUE(index.open(dir_.path() / "a.index", base_).ok());
    index.append({Offset(1010), 4096});
    index.append({Offset(1020), 8192});
    ASSERT_TRUE(index.write_pending().ok());
  }
  EXPECT_EQ(std::filesystem::file_size(dir_.path() / "a.index"), 16u);
  OffsetIndex again;
  ASSERT_TRUE(again.open(dir_.path() / "a.index", base_).ok());
  ASSERT_EQ(again.entries().size(), 2u);
  EXPECT_EQ(again.entries()[1].offset, Offset(1020));
  EXPECT_EQ(again.entries()[1].position, 8192u);
  EXPECT_TRUE(again.is_consistent(base_, Offset(1100), 10000));
  EXPECT_FALSE(again.is_consistent(base_, Offset(1015), 10000));  // entry past the log end
  EXPECT_FALSE(again.is_consistent(base_, Offset(1100), 5000));   // position past the log
}

TEST_F(IndexTest, a_partial_trailing_entry_makes_the_index_inconsistent) {
  {
    OffsetIndex index;
    ASSERT_TRUE(index.open(dir_.path() / "a.index", base_).ok());
    index.append({Offset(1010), 4096});
    ASSERT_TRUE(index.write_pending().ok());
  }
  std::filesystem::resize_file(dir_.path() / "a.index", 12);
  OffsetIndex again;
  ASSERT_TRUE(again.open(dir_.path() / "a.index", base_).ok());
  EXPECT_FALSE(again.is_consistent(base_, Offset(2000), 1 << 20));
}

TEST_F(IndexTest, truncating_by_position_drops_entries_at_or_after_it) {
  OffsetIndex index;
  ASSERT_TRUE(index.open(dir_.path() / "a.index", base_).ok());
  index.append({Offset(1010), 100});
  index.append({Offset(1020), 200});
  ASSERT_TRUE(index.truncate_to_position(200).ok());
  EXPECT_EQ(index.entries().size(), 1u);
  EXPECT_EQ(std::filesystem::file_size(dir_.path() / "a.index"), 8u);
}

TEST_F(IndexTest, time_index_appends_only_increasing_timestamps_and_looks_up_by_floor) {
  TimeIndex index;
  ASSERT_TRUE(index.open(dir_.path() / "a.timeindex", base_).ok());
  index.maybe_append(100, Offset(1005));
  index.maybe_append(100, Offset(1006));  // not greater: ignored
  index.maybe_append(250, Offset(1010));
  ASSERT_EQ(index.entries().size(), 2u);
  EXPECT_FALSE(index.lookup(99).has_value());
  EXPECT_EQ(index.lookup(100)->offset, Offset(1005));
  EXPECT_EQ(index.lookup(249)->offset, Offset(1005));
  EXPECT_EQ(index.lookup(1000)->offset, Offset(1010));
  ASSERT_TRUE(index.write_pending().ok());
  EXPECT_EQ(std::filesystem::file_size(dir_.path() / "a.timeindex"), 24u);
}

}  // namespace
}  // namespace ferry::storage
