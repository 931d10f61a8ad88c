#include "storage/log_manager.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include "tests/storage/log_test_util.h"

namespace ferry::storage::test {
namespace {

namespace fs = std::filesystem;

class LogManagerTest : public ::testing::Test {
 protected:
  std::vector<fs::path> dirs() { return {root_.path() / "d1", root_.path() / "d2"}; }
  LogConfig config() {
    LogConfig c;
    c.segment_bytes = 4096;
    c.retention_ms = 10'000;
    return c;
  }
  ferry::test::TempDir root_;
  ManualClock clock_;
};

TEST_F(LogManagerTest, created_partitions_spread_over_log_dirs_and_reopen_after_restart) {
  {
    LogManager manager(dirs(), config(), clock_);
    ASSERT_TRUE(manager.open_all().ok());
    for (int p = 0; p < 4; ++p) {
      auto log = manager.create({"orders", p}, "AAAAAAAAAAAAAAAAAAAAAQ", config());
      ASSERT_TRUE(log.ok()) << log.error().to_string();
      Bytes b = batch(p + 1, 1000);
      ASSERT_TRUE((*log)->append_as_leader(b, LeaderEpoch(0)).ok());
    }
    EXPECT_EQ(manager.create({"orders", 0}, "", config()).code(), ErrorCode::TOPIC_ALREADY_EXISTS);
    EXPECT_TRUE(fs::exists(root_.path() / "d1" / "orders-0"));
    EXPECT_TRUE(fs::exists(root_.path() / "d2" / "orders-1"));
    ASSERT_TRUE(manager.close_all().ok());
  }
  LogManager manager(dirs(), config(), clock_);
  ASSERT_TRUE(manager.open_all().ok());
  EXPECT_EQ(manager.partitions().size(), 4u);
  EXPECT_EQ(manager.get({"orders", 3})->log_end_offset(), Offset(4));
  EXPECT_TRUE(manager.recovery_reports().at({"orders", 3}).clean_shutdown);
  EXPECT_EQ(manager.get({"nope", 0}), nullptr);
}

TEST_F(LogManagerTest,
       deleting_a_partition_removes_its_directory_and_an_interrupted_delete_finishes_at_open) {
  LogManager manager(dirs(), config(), clock_);
  ASSERT_TRUE(manager.open_all().ok());
  ASSERT_TRUE(manager.create({"a-b", 0}, "", config()).ok());
  ASSERT_TRUE(manager.remove({"a-b", 0}).ok());
  EXPECT_EQ(manager.get({"a-b", 0}), nullptr);
  EXPECT_FALSE(fs::exists(root_.path() / "d1" / "a-b-0"));
  EXPECT_EQ(manager.remove({"a-b", 0}).code(), ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
  // A crash after the rename leaves a "-delete" directory behind: open_all removes it.
  fs::create_directories(root_.path() / "d2" / "x-1.00000000abcd0001-delete");
  LogManager again(dirs(), config(), clock_);
  ASSERT_TRUE(again.open_all().ok());
  EXPECT_FALSE(fs::exists(root_.path() / "d2" / "x-1.00000000abcd0001-delete"));
  EXPECT_TRUE(again.partitions().empty());
}

TEST_F(LogManagerTest, a_foreign_directory_in_a_log_dir_is_left_alone_even_with_a_partition_name) {
  // Someone else's directory that happens to parse as <topic>-<partition>: without the
  // registration open_all would open (and so adopt) it as a partition.
  const fs::path foreign = root_.path() / "d1" / "__cluster_metadata-0";
  fs::create_directories(foreign);
  {
    LogManager manager(dirs(), config(), clock_);
    ASSERT_TRUE(manager.open_all().ok());
    EXPECT_EQ(manager.partitions().size(), 1u);
  }
  fs::remove_all(root_.path());
  fs::create_directories(foreign);
  LogManager manager(dirs(), config(), clock_);
  // Spelled differently from the path open_all lists: the match is on the canonical path.
  manager.add_foreign_dir(root_.path() / "d2" / ".." / "d1" / "__cluster_metadata-0");
  ASSERT_TRUE(manager.open_all().ok());
  EXPECT_TRUE(manager.partitions().empty());
  EXPECT_TRUE(manager.failed_partitions().empty());
  EXPECT_TRUE(fs::is_empty(foreign));
}

TEST_F(LogManagerTest, retention_runs_over_every_partition_with_the_given_now) {
  LogManager manager(dirs(), config(), clock_);
  ASSERT_TRUE(manager.open_all().ok());
  for (int p = 0; p < 2; ++p) {
    auto log = *manager.create({"t", p}, "", config());
    for (int i = 0; i < 40; ++i) {
      Bytes b = batch(4, 1000, static_cast<uint64_t>(i), 40);
      ASSERT_TRUE(log->append_as_leader(b, LeaderEpoch(0)).ok());
    }
    log->set_high_watermark(log->log_end_offset());
  }
  auto deleted = manager.run_retention(1000 + 5'000);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 0u);
  deleted = manager.run_retention(1000 + 20'000);
  ASSERT_TRUE(deleted.ok());
  EXPECT_GT(*deleted, 2u);
  EXPECT_EQ(manager.get({"t", 1})->log_start_offset(), Offset(160));
}

TEST_F(LogManagerTest, the_flusher_makes_requested_logs_durable_without_polling) {
  LogManager manager(dirs(), config(), clock_);
  ASSERT_TRUE(manager.open_all().ok());
  manager.start_flusher(1);
  auto log = *manager.create({"t", 0}, "", config());
  Bytes b = batch(3, 1000);
  const auto appended = log->append_as_leader(b, LeaderEpoch(0));
  ASSERT_TRUE(appended.ok());
  std::promise<Status> durable;
  log->when_durable(appended->last_offset + 1, [&](Status s) { durable.set_value(s); });
  manager.request_flush(log);
  auto f = durable.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(log->durable_end_offset(), Offset(3));
  ASSERT_TRUE(manager.close_all().ok());
}

}  // namespace
}  // namespace ferry::storage::test
