// MetadataObservers: parked metadata long-polls and observer progress
// (controller/quorum/metadata_observers.h).
#include "controller/quorum/metadata_observers.h"

#include <gtest/gtest.h>

namespace ferry::controller {
namespace {

MetadataObservers::Waiter waiter(int64_t offset, int64_t deadline_ms, int* answered) {
  return {LogIndex(offset), 1024, deadline_ms, [answered](MetadataFetch) { ++*answered; }};
}

TEST(MetadataObservers, a_long_poll_is_due_once_its_offset_commits_or_its_deadline_passes) {
  MetadataObservers o;
  int answered = 0;
  o.park(waiter(10, 500, &answered));
  o.park(waiter(20, 300, &answered));
  EXPECT_TRUE(o.take_due(LogIndex(9), false, 0).empty());
  auto due = o.take_due(LogIndex(10), false, 0);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].fetch_offset, LogIndex(10));
  EXPECT_EQ(o.parked(), 1u);
  EXPECT_TRUE(o.take_due(LogIndex(10), true, 299).empty());
  due = o.take_due(LogIndex(10), true, 300);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].fetch_offset, LogIndex(20));
  EXPECT_EQ(o.parked(), 0u);
}

TEST(MetadataObservers, expired_only_ignores_committed_offsets) {
  MetadataObservers o;
  int answered = 0;
  o.park(waiter(5, 1000, &answered));
  EXPECT_TRUE(o.take_due(LogIndex(50), true, 10).empty());
  EXPECT_EQ(o.take_all().size(), 1u);
  EXPECT_EQ(o.parked(), 0u);
}

TEST(MetadataObservers, observers_record_progress_and_are_forgotten_after_going_quiet) {
  MetadataObservers o;
  o.note_fetch(NodeId(1), LogIndex(7), LogIndex(9), 1000);
  ASSERT_EQ(o.observers().size(), 1u);
  EXPECT_EQ(o.observers().at(NodeId(1)).log_end, LogIndex(7));
  EXPECT_EQ(o.observers().at(NodeId(1)).last_caught_up_ms, -1);
  o.note_fetch(NodeId(1), LogIndex(9), LogIndex(9), 2000);
  EXPECT_EQ(o.observers().at(NodeId(1)).last_caught_up_ms, 2000);
  o.note_fetch(NodeId(2), LogIndex(9), LogIndex(9), 2000 + MetadataObservers::kForgetAfterMs);
  EXPECT_EQ(o.observers().size(), 2u);  // 1 fetched exactly kForgetAfterMs ago: kept
  o.note_fetch(NodeId(2), LogIndex(9), LogIndex(9), 2001 + MetadataObservers::kForgetAfterMs);
  EXPECT_EQ(o.observers().size(), 1u);
  EXPECT_TRUE(o.observers().contains(NodeId(2)));
}

}  // namespace
}  // namespace ferry::controller
