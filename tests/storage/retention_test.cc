#include "storage/retention.h"

#include <gtest/gtest.h>

namespace ferry::storage {
namespace {

// Three segments of 100 bytes: [0,10) ts 1000, [10,20) ts 2000, [20,30) ts 3000 (active).
std::vector<SegmentMeta> three() {
  return {{Offset(0), Offset(10), 100, 1000},
          {Offset(10), Offset(20), 100, 2000},
          {Offset(20), Offset(30), 100, 3000}};
}

LogConfig config(int64_t retention_ms, int64_t retention_bytes) {
  LogConfig c;
  c.retention_ms = retention_ms;
  c.retention_bytes = retention_bytes;
  return c;
}

TEST(Retention, time_retention_deletes_the_prefix_older_than_retention_ms) {
  const auto plan = plan_retention(three(), config(1500, -1), 3600, Offset(30), Offset(0));
  EXPECT_EQ(plan.delete_count, 2u);  // 3600-1000 and 3600-2000 > 1500; 3600-3000 is not
  EXPECT_EQ(plan.reason, RetentionReason::kTime);
}

TEST(Retention, infinite_retention_deletes_nothing) {
  EXPECT_EQ(plan_retention(three(), config(-1, -1), 1 << 30, Offset(30), Offset(0)).delete_count,
            0u);
}

TEST(Retention, the_active_segment_goes_when_kafka_would_delete_it) {
  EXPECT_EQ(plan_retention(three(), config(10, -1), 10'000, Offset(30), Offset(0)).delete_count,
            3u);
}

TEST(Retention, nothing_at_or_above_the_high_watermark_is_deleted) {
  EXPECT_EQ(plan_retention(three(), config(10, -1), 10'000, Offset(15), Offset(0)).delete_count,
            1u);
  EXPECT_EQ(plan_retention(three(), config(10, -1), 10'000, Offset(9), Offset(0)).delete_count, 0u);
}

TEST(Retention, size_retention_keeps_the_log_at_or_above_retention_bytes) {
  EXPECT_EQ(plan_retention(three(), config(-1, 150), 0, Offset(30), Offset(0)).delete_count, 1u);
  EXPECT_EQ(plan_retention(three(), config(-1, 100), 0, Offset(30), Offset(0)).delete_count, 2u);
  EXPECT_EQ(plan_retention(three(), config(-1, 300), 0, Offset(30), Offset(0)).delete_count, 0u);
}

TEST(Retention, segments_below_the_log_start_offset_are_deleted) {
  const auto plan = plan_retention(three(), config(-1, -1), 0, Offset(30), Offset(20));
  EXPECT_EQ(plan.delete_count, 2u);
  EXPECT_EQ(plan.reason, RetentionReason::kLogStart);
}

TEST(Retention, an_empty_active_segment_is_never_deleted) {
  auto segs = three();
  segs.push_back({Offset(30), Offset(30), 0, 0});
  EXPECT_EQ(plan_retention(segs, config(10, -1), 10'000, Offset(30), Offset(0)).delete_count, 3u);
}

}  // namespace
}  // namespace ferry::storage
