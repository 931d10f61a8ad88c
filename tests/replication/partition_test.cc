// The partition driver (replication/partition.h) over a real PartitionLog, driven by a manual
// executor: role changes, parked acks=all produces, the lease, epoch checks, KIP-207 and the
// follower's side of a divergence.
#include "replication/partition.h"

#include <gtest/gtest.h>

#include "storage/record_batch_builder.h"
#include "tests/support/sim_scheduler.h"
#include "tests/support/temp_dir.h"

namespace ferry::replication {
namespace {

const NodeId kSelf{1}, kOther{2};

class PartitionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log =
        storage::PartitionLog::create(dir_.path(), {"t", 0}, "", storage::LogConfig{}, clock_);
    ASSERT_TRUE(log.ok()) << log.error().to_string();
    log_ = *log;
    partition_ = std::make_shared<Partition>("t", 0, Uuid{}, log_, kSelf, AckMode::kPageCache,
                                             executor_, clock_);
  }
  void TearDown() override {
    partition_->stop();
    run();
    ASSERT_TRUE(log_->close().ok());
  }

  static PartitionAssignment assignment(NodeId leader, int32_t leader_epoch,
                                        std::vector<NodeId> isr, int32_t partition_epoch) {
    return PartitionAssignment{{kSelf, kOther},
                               std::move(isr),
                               leader,
                               LeaderEpoch(leader_epoch),
                               PartitionEpoch(partition_epoch)};
  }
  static Bytes batch() { return storage::RecordBatchBuilder().add("k", "v", 1000).build(); }
  void run() {
    while (scheduler_.run_next(scheduler_.now_ms())) {
    }
  }
  // Appends one batch with acks=all and parks it; returns where its answer lands.
  std::shared_ptr<std::optional<ErrorCode>> produce_all() {
    Bytes b = batch();
    auto appended = partition_->append(b, Acks::kAll);
    EXPECT_TRUE(appended.ok()) << appended.error().to_string();
    auto answer = std::make_shared<std::optional<ErrorCode>>();
    partition_->wait_for_high_watermark(appended->needed_end, 10'000,
                                        [answer](ErrorCode code) { *answer = code; });
    run();
    return answer;
  }
  // The follower fetches and reports `offset` durable, which moves the HW in page-cache mode.
  void follower_at(int64_t offset, int32_t epoch) {
    FetchPosition p;
    p.fetch_offset = Offset(offset);
    p.durable_end = Offset(offset);
    p.current_leader_epoch = LeaderEpoch(epoch);
    p.last_fetched_epoch = offset > 0 ? LeaderEpoch(epoch) : LeaderEpoch(-1);
    (void)partition_->read_for_follower(kOther, BrokerEpoch(7), p, 1 << 20);
    run();
  }

  test::TempDir dir_;
  ManualClock clock_;
  test::SimScheduler scheduler_{clock_};
  test::SimExecutor executor_{scheduler_, 1};
  std::shared_ptr<storage::PartitionLog> log_;
  std::shared_ptr<Partition> partition_;
};

TEST_F(PartitionTest, a_new_leader_records_its_epoch_at_its_log_end_before_taking_writes) {
  ASSERT_EQ(partition_->apply_assignment(assignment(kSelf, 0, {kSelf}, 0), 1), Role::kLeader);
  Bytes b = batch();
  ASSERT_TRUE(partition_->append(b, Acks::kLeader).ok());
  ASSERT_EQ(partition_->apply_assignment(assignment(kOther, 1, {kSelf, kOther}, 1), 1),
            Role::kFollower);
  ASSERT_EQ(partition_->apply_assignment(assignment(kSelf, 2, {kSelf, kOther}, 2), 1),
            Role::kLeader);
  EXPECT_EQ(log_->latest_epoch(), (storage::EpochEntry{LeaderEpoch(2), Offset(1)}))
      << "KIP-279: epoch 2 starts at the log end of its election, before any write";
}

TEST_F(PartitionTest, a_leader_epoch_bump_that_keeps_the_leader_keeps_parked_produces) {
  partition_->apply_assignment(assignment(kSelf, 0, {kSelf, kOther}, 0), 1);
  auto answer = produce_all();
  EXPECT_FALSE(answer->has_value()) << "parked until the follower has it";
  partition_->apply_assignment(assignment(kSelf, 1, {kSelf, kOther}, 1), 1);
  run();
  EXPECT_FALSE(answer->has_value()) << "kept across the epoch bump, as in Kafka";
  follower_at(1, 1);
  ASSERT_TRUE(answer->has_value());
  EXPECT_EQ(**answer, ErrorCode::NONE);
}

TEST_F(PartitionTest, losing_leadership_fails_parked_produces_with_not_leader) {
  partition_->apply_assignment(assignment(kSelf, 0, {kSelf, kOther}, 0), 1);
  auto answer = produce_all();
  partition_->apply_assignment(assignment(kOther, 1, {kSelf, kOther}, 1), 1);
  run();
  ASSERT_TRUE(answer->has_value());
  EXPECT_EQ(**answer, ErrorCode::NOT_LEADER_OR_FOLLOWER);
}

TEST_F(PartitionTest, a_lapsed_lease_refuses_new_work_but_keeps_parked_produces) {
  partition_->apply_assignment(assignment(kSelf, 0, {kSelf, kOther}, 0), 1);
  auto answer = produce_all();
  partition_->set_lease(false);
  run();
  EXPECT_FALSE(answer->has_value()) << "the batch is in the log: no 'not persisted' answer";
  Bytes b = batch();
  EXPECT_EQ(partition_->append(b, Acks::kLeader).code(), ErrorCode::NOT_LEADER_OR_FOLLOWER);
  EXPECT_EQ(partition_->check_leader(-1), ErrorCode::NOT_LEADER_OR_FOLLOWER);
  EXPECT_FALSE(partition_->is_leader());
  follower_at(1, 0);  // followers are still served; the HW passes what every ISR member has
  ASSERT_TRUE(answer->has_value());
  EXPECT_EQ(**answer, ErrorCode::NONE);
  partition_->set_lease(true);
  EXPECT_TRUE(partition_->is_leader());
}

TEST_F(PartitionTest, the_isr_below_min_insync_after_the_append_answers_not_enough_replicas) {
  partition_->apply_assignment(assignment(kSelf, 0, {kSelf, kOther}, 0), 2);
  auto answer = produce_all();
  partition_->apply_assignment(assignment(kSelf, 0, {kSelf}, 1), 2);  // the follower dropped
  run();
  ASSERT_TRUE(answer->has_value());
  EXPECT_EQ(**answer, ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND);
  Bytes b = batch();
  EXPECT_EQ(partition_->append(b, Acks::kAll).code(), ErrorCode::NOT_ENOUGH_REPLICAS);
  EXPECT_TRUE(partition_->append(b, Acks::kLeader).ok()) << "acks=1 ignores min.insync";
}

TEST_F(PartitionTest, client_epochs_older_are_fenced_and_newer_are_unknown) {
  partition_->apply_assignment(assignment(kSelf, 3, {kSelf}, 0), 1);
  EXPECT_EQ(partition_->check_leader(2), ErrorCode::FENCED_LEADER_EPOCH);
  EXPECT_EQ(partition_->check_leader(4), ErrorCode::UNKNOWN_LEADER_EPOCH);
  EXPECT_EQ(partition_->check_leader(3), ErrorCode::NONE);
  EXPECT_EQ(partition_->check_leader(-1), ErrorCode::NONE);
}

TEST_F(PartitionTest, kip207_offsets_are_not_available_until_the_hw_reaches_the_epoch_start) {
  // As a follower it took 2 records but only knows HW 0; then it is elected.
  partition_->apply_assignment(assignment(kOther, 0, {kSelf, kOther}, 0), 1);
  for (int i = 0; i < 2; ++i) {
    Bytes b = batch();
    storage::set_base_offset(b, Offset(i));
    storage::set_partition_leader_epoch(b, LeaderEpoch(0));
    ASSERT_TRUE(log_->append_as_follower(b).ok());
  }
  partition_->apply_assignment(assignment(kSelf, 1, {kSelf, kOther}, 1), 1);
  EXPECT_EQ(partition_->high_watermark(), Offset(0));
  EXPECT_EQ(partition_->check_high_watermark_current(), ErrorCode::OFFSET_NOT_AVAILABLE);
  follower_at(2, 1);
  EXPECT_EQ(partition_->high_watermark(), Offset(2));
  EXPECT_EQ(partition_->check_high_watermark_current(), ErrorCode::NONE);
}

TEST_F(PartitionTest, a_follower_truncates_where_the_leader_says_its_epoch_diverges) {
  partition_->apply_assignment(assignment(kSelf, 0, {kSelf, kOther}, 0), 1);
  for (int i = 0; i < 3; ++i) {
    Bytes b = batch();
    ASSERT_TRUE(partition_->append(b, Acks::kLeader).ok());
  }
  partition_->apply_assignment(assignment(kOther, 1, {kSelf, kOther}, 1), 1);
  auto position = partition_->follower_position(kOther, LeaderEpoch(1));
  ASSERT_TRUE(position.has_value());
  EXPECT_EQ(position->fetch_offset, Offset(3));
  EXPECT_EQ(position->last_fetched_epoch, LeaderEpoch(0));
  LeaderAnswer answer;
  answer.high_watermark = Offset(1);
  answer.log_start = Offset(0);
  answer.diverging = storage::EpochEndOffset{LeaderEpoch(0), Offset(1)};
  const auto outcome =
      partition_->apply_leader_answer(kOther, LeaderEpoch(1), *position, answer, {});
  EXPECT_EQ(outcome.step, FollowerState::Step::kTruncate);
  EXPECT_EQ(log_->log_end_offset(), Offset(1));
  EXPECT_EQ(partition_->high_watermark(), Offset(1));
  EXPECT_FALSE(
      partition_->apply_leader_answer(kSelf, LeaderEpoch(0), *position, answer, {}).current)
      << "an answer from a leadership it no longer follows is dropped";
}

}  // namespace
}  // namespace ferry::replication
