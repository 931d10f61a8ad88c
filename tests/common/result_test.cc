#include "common/error.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace ferry {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return Error(ErrorCode::INVALID_REQUEST, "not positive");
  return v;
}

Result<int> doubled(int v) {
  FERRY_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return 2 * x;
}

Status check(int v) {
  FERRY_TRY(parse_positive(v));
  return ok_status();
}

TEST(Result, holds_a_value_or_an_error) {
  auto good = parse_positive(3);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);
  EXPECT_EQ(good.code(), ErrorCode::NONE);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::INVALID_REQUEST);
  EXPECT_EQ(bad.error().to_string(), "INVALID_REQUEST: not positive");
}

TEST(Result, try_macros_propagate_errors) {
  EXPECT_EQ(*doubled(4), 8);
  EXPECT_EQ(doubled(0).code(), ErrorCode::INVALID_REQUEST);
  EXPECT_TRUE(check(1).ok());
  EXPECT_EQ(check(0).code(), ErrorCode::INVALID_REQUEST);
}

TEST(Result, supports_move_only_values_and_copies) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
  Result<std::string> s = std::string("abc");
  Result<std::string> copy = s;
  copy = Error(ErrorCode::CORRUPT_MESSAGE);
  EXPECT_EQ(*s, "abc");
  EXPECT_EQ(copy.code(), ErrorCode::CORRUPT_MESSAGE);
}

TEST(ErrorCodes, names_codes_and_retriability_follow_kafka) {
  EXPECT_EQ(to_int(ErrorCode::NOT_ENOUGH_REPLICAS), 19);
  EXPECT_EQ(error_name(ErrorCode::NOT_LEADER_OR_FOLLOWER), "NOT_LEADER_OR_FOLLOWER");
  EXPECT_TRUE(error_is_retriable(ErrorCode::NOT_LEADER_OR_FOLLOWER));
  EXPECT_FALSE(error_is_retriable(ErrorCode::MESSAGE_TOO_LARGE));
  EXPECT_EQ(error_code_from_int(100), ErrorCode::UNKNOWN_TOPIC_ID);
  EXPECT_EQ(error_code_from_int(4242), ErrorCode::UNKNOWN_SERVER_ERROR);
  EXPECT_EQ(error_name(static_cast<ErrorCode>(4242)), "UNKNOWN_ERROR_CODE(4242)");
}

TEST(AssertDeathTest, broken_invariant_aborts_with_context) {
  EXPECT_DEATH(FERRY_ASSERT(1 + 1 == 3, "arithmetic is {}", "broken"), "arithmetic is broken");
}

}  // namespace
}  // namespace ferry
