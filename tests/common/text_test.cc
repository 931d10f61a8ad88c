#include "common/text.h"

#include <gtest/gtest.h>

#include <array>

namespace ferry {
namespace {

TEST(EditDistance, counts_insertions_deletions_and_substitutions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("topci", "topic"), 2u);  // a swap is two substitutions
  EXPECT_EQ(edit_distance("retention.ms", "retention.ms"), 0u);
}

TEST(Closest, picks_the_nearest_within_the_bound_and_the_first_of_equals) {
  constexpr std::array<std::string_view, 3> words = {"list", "lost", "describe"};
  EXPECT_EQ(closest("lst", words), "list");
  EXPECT_EQ(closest("descrbe", words, 1), "describe");
  EXPECT_EQ(closest("xyzzy", words, 2), std::nullopt);
  EXPECT_EQ(closest("x", std::span<const std::string_view>{}), std::nullopt);
}

}  // namespace
}  // namespace ferry
