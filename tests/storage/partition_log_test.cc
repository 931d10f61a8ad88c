#include "storage/partition_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "common/file_util.h"
#include "tests/storage/log_test_util.h"

namespace ferry::storage::test {
namespace {

namespace fs = std::filesystem;
namespace Lay = batch_layout;

TEST_F(LogTest, appends_assign_contiguous_offsets_and_stamp_the_leader_epoch) {
  auto log = create(small_config());
  const auto a = append(*log, batch(3, 1000), LeaderEpoch(2));
  const auto b = append(*log, batch(2, 1000), LeaderEpoch(2));
  EXPECT_EQ(a.base_offset, Offset(0));
  EXPECT_EQ(a.last_offset, Offset(2));
  EXPECT_EQ(b.base_offset, Offset(3));
  EXPECT_EQ(log->log_end_offset(), Offset(5));
  const auto batches = read_batches(*log, Offset(0), Offset(5));
  ASSERT_EQ(batches.size(), 2u);
  RecordBatchView v(batches[1]);
  EXPECT_EQ(v.base_offset(), Offset(3));
  EXPECT_EQ(v.partition_leader_epoch(), LeaderEpoch(2));
  EXPECT_TRUE(v.crc_matches());
  EXPECT_EQ(log->latest_epoch()->epoch, LeaderEpoch(2));
}

TEST_F(LogTest, one_request_of_several_batches_is_appended_whole) {
  auto log = create(small_config());
  Bytes request = batch(2, 1000, 1);
  const Bytes second = batch(3, 1000, 2);
  request.insert(request.end(), second.begin(), second.end());
  const auto r = append(*log, request);
  EXPECT_EQ(r.base_offset, Offset(0));
  EXPECT_EQ(r.last_offset, Offset(4));
  EXPECT_EQ(read_batches(*log, Offset(0), Offset(5)).size(), 2u);
}

TEST_F(LogTest, a_bad_batch_rejects_the_whole_request_and_leaves_the_log_untouched) {
  auto log = create(small_config());
  append(*log, batch(2, 1000));
  const uint64_t size_before = log->stats().size_bytes;
  Bytes request = batch(2, 1000, 1);
  Bytes bad = batch(2, 1000, 2);
  bad[bad.size() - 1] ^= 1;  // CRC now wrong
  request.insert(request.end(), bad.begin(), bad.end());
  auto r = log->append_as_leader(request, LeaderEpoch(0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::CORRUPT_MESSAGE);
  EXPECT_EQ(log->log_end_offset(), Offset(2));
  EXPECT_EQ(log->stats().size_bytes, size_before);
}

TEST_F(LogTest, oversized_batches_are_message_too_large_or_record_list_too_large) {
  LogConfig c = small_config();
  c.max_message_bytes = 200;
  auto log = create(c);
  Bytes big = batch(10, 1000, 1, 50);
  auto r = log->append_as_leader(big, LeaderEpoch(0));
  EXPECT_EQ(r.code(), ErrorCode::MESSAGE_TOO_LARGE);
  c.max_message_bytes = 1 << 20;
  ASSERT_TRUE(log->set_config(c).ok());
  Bytes huge = batch(100, 1000, 1, 60);  // > segment.bytes 4096
  r = log->append_as_leader(huge, LeaderEpoch(0));
  EXPECT_EQ(r.code(), ErrorCode::RECORD_LIST_TOO_LARGE);
  EXPECT_EQ(log->log_end_offset(), Offset(0));
}

TEST_F(LogTest, control_batches_from_clients_are_invalid_record) {
  auto log = create(small_config());
  RecordBatchBuilder b;
  b.set_control(true).add("k", "v", 1);
  Bytes control = b.build();
  EXPECT_EQ(log->append_as_leader(control, LeaderEpoch(0)).code(), ErrorCode::INVALID_RECORD);
}

TEST_F(LogTest, log_append_time_stamps_max_timestamp_and_keeps_the_crc_valid) {
  LogConfig c = small_config();
  c.message_timestamp_type = TimestampType::kLogAppendTime;
  auto log = create(c);
  const auto r = append(*log, batch(3, 5));
  EXPECT_EQ(r.log_append_time_ms, clock_.wall_ms());
  const auto batches = read_batches(*log, Offset(0), Offset(3));
  ASSERT_EQ(batches.size(), 1u);
  RecordBatchView v(batches[0]);
  EXPECT_EQ(v.timestamp_type(), TimestampType::kLogAppendTime);
  EXPECT_EQ(v.max_timestamp(), clock_.wall_ms());
  EXPECT_TRUE(v.crc_matches());
}

TEST_F(LogTest, read_starts_at_the_batch_holding_the_offset_and_returns_whole_batches) {
  auto log = create(small_config());
  append(*log, batch(5, 1000, 1));
  append(*log, batch(5, 1000, 2));
  auto r = log->read(Offset(7), 1 << 20, Offset(10));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first_offset, Offset(5));
  EXPECT_EQ(r->last_offset, Offset(9));
}

TEST_F(LogTest, read_returns_the_first_batch_whole_even_when_larger_than_max_bytes) {
  auto log = create(small_config());
  append(*log, batch(5, 1000, 1, 100));
  append(*log, batch(5, 1000, 2, 100));
  auto r = log->read(Offset(0), 10, Offset(10));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first_offset, Offset(0));
  EXPECT_EQ(r->last_offset, Offset(4));
  EXPECT_GT(r->slice.length, 10u);
}

TEST_F(LogTest, read_never_returns_a_batch_reaching_max_offset_exclusive) {
  auto log = create(small_config());
  append(*log, batch(5, 1000, 1));
  append(*log, batch(5, 1000, 2));
  auto r = log->read(Offset(0), 1 << 20, Offset(7));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->last_offset, Offset(4));
  r = log->read(Offset(6), 1 << 20, Offset(7));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->slice.length, 0u);
}

TEST_F(LogTest, read_outside_log_start_and_log_end_is_offset_out_of_range) {
  auto log = create(small_config());
  append(*log, batch(5, 1000));
  EXPECT_EQ(log->read(Offset(6), 100, Offset(100)).code(), ErrorCode::OFFSET_OUT_OF_RANGE);
  auto at_end = log->read(Offset(5), 100, Offset(100));
  ASSERT_TRUE(at_end.ok());
  EXPECT_EQ(at_end->slice.length, 0u);
  log->set_high_watermark(Offset(5));
  ASSERT_TRUE(log->delete_records(Offset(3)).ok());
  EXPECT_EQ(log->read(Offset(2), 100, Offset(100)).code(), ErrorCode::OFFSET_OUT_OF_RANGE);
}

TEST_F(LogTest, segments_roll_when_the_next_append_would_pass_segment_bytes) {
  auto log = create(small_config());
  for (int i = 0; i < 40; ++i)
    append(*log, batch(4, 1000, static_cast<uint64_t>(i), 30));
  const auto segments = log->segments_for_test();
  ASSERT_GE(segments.size(), 3u);
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    EXPECT_LE(segments[i]->size(), 4096u);
    EXPECT_EQ(segments[i]->next_offset(), segments[i + 1]->base_offset());
    EXPECT_TRUE(fs::exists(dir_.path() / tp_.dir_name() /
                           (Segment::file_stem(segments[i]->base_offset()) + ".log")));
  }
  EXPECT_EQ(read_batches(*log, Offset(0), Offset(160)).size(), 40u);
}

TEST_F(LogTest, segments_roll_when_the_first_append_is_older_than_segment_ms) {
  LogConfig c = small_config();
  c.segment_bytes = 1 << 20;
  c.segment_ms = 1000;
  auto log = create(c);
  append(*log, batch(1, 1000));
  clock_.advance_ms(999);
  append(*log, batch(1, 1000));
  EXPECT_EQ(log->segments_for_test().size(), 1u);
  clock_.advance_ms(1);
  append(*log, batch(1, 1000));
  EXPECT_EQ(log->segments_for_test().size(), 2u);
  EXPECT_EQ(log->segments_for_test().back()->base_offset(), Offset(2));
}

TEST_F(LogTest, a_reopened_segment_does_not_roll_on_its_first_append) {
  // Its first-append time is unknown after a restart; segment.ms counts from the next append
  // (it used to roll every reopened segment at once, a new segment per restart).
  auto log = create(small_config());
  append(*log, batch(1, 1000));
  log.reset();
  auto reopened = reopen(small_config());
  append(*reopened, batch(1, 1000));
  EXPECT_EQ(reopened->segments_for_test().size(), 1u);
}

TEST_F(LogTest, time_retention_deletes_old_segments_and_advances_the_log_start) {
  LogConfig c = small_config();
  c.retention_ms = 10'000;
  auto log = create(c);
  const int64_t now = clock_.wall_ms();
  for (int i = 0; i < 30; ++i)
    append(*log, batch(4, now - 20'000, static_cast<uint64_t>(i), 40));
  for (int i = 0; i < 30; ++i)
    append(*log, batch(4, now, static_cast<uint64_t>(i), 40));
  log->set_high_watermark(log->log_end_offset());
  auto deleted = log->apply_retention(now);
  ASSERT_TRUE(deleted.ok());
  EXPECT_GT(*deleted, 0u);
  const auto segments = log->segments_for_test();
  EXPECT_EQ(log->log_start_offset(), segments.front()->base_offset());
  EXPECT_LE(log->log_start_offset(), Offset(120));
  for (const auto& s : segments)
    EXPECT_GE(s->max_timestamp(), now - 20'000);
  // Every remaining segment but the one straddling the boundary is recent.
  EXPECT_GE(segments[1]->max_timestamp(), now);
}

TEST_F(LogTest, size_retention_deletes_oldest_segments_while_the_log_exceeds_retention_bytes) {
  LogConfig c = small_config();
  c.retention_bytes = 8192;
  auto log = create(c);
  for (int i = 0; i < 60; ++i)
    append(*log, batch(4, 1000, static_cast<uint64_t>(i), 40));
  log->set_high_watermark(log->log_end_offset());
  ASSERT_TRUE(log->apply_retention(clock_.wall_ms()).ok());
  EXPECT_GE(log->stats().size_bytes, 8192u);
  EXPECT_LT(log->stats().size_bytes, 8192u + 4096u);
  EXPECT_GT(log->log_start_offset(), Offset(0));
}

TEST_F(LogTest, retention_never_deletes_data_at_or_above_the_high_watermark) {
  LogConfig c = small_config();
  c.retention_ms = 1;
  auto log = create(c);
  for (int i = 0; i < 30; ++i)
    append(*log, batch(4, 1, static_cast<uint64_t>(i), 40));
  ASSERT_TRUE(log->apply_retention(clock_.wall_ms()).ok());
  EXPECT_EQ(log->log_start_offset(), Offset(0));  // high watermark still at log start
  log->set_high_watermark(log->log_end_offset());
  ASSERT_TRUE(log->apply_retention(clock_.wall_ms()).ok());
  EXPECT_EQ(log->log_start_offset(), log->log_end_offset());  // Kafka deletes even the active
  EXPECT_EQ(log->stats().segment_count, 1u);
  EXPECT_EQ(append(*log, batch(1, 5)).base_offset, Offset(120));
}

TEST_F(LogTest, delete_records_advances_the_log_start_and_deletes_whole_segments_below_it) {
  auto log = create(small_config());
  for (int i = 0; i < 40; ++i)
    append(*log, batch(4, 1000, static_cast<uint64_t>(i), 30));
  EXPECT_EQ(log->delete_records(Offset(100)).code(), ErrorCode::OFFSET_OUT_OF_RANGE);
  log->set_high_watermark(log->log_end_offset());
  const size_t before = log->stats().segment_count;
  auto start = log->delete_records(Offset(100));
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(*start, Offset(100));
  EXPECT_LT(log->stats().segment_count, before);
  EXPECT_LE(log->segments_for_test().front()->base_offset(), Offset(100));
  auto r = log->read(Offset(100), 1 << 20, Offset(160));
  ASSERT_TRUE(r.ok());
  EXPECT_LE(r->first_offset, Offset(100));
  // It survives a restart.
  ASSERT_TRUE(log->close().ok());
  auto again = reopen(small_config());
  EXPECT_EQ(again->log_start_offset(), Offset(100));
}

TEST_F(LogTest, truncate_to_removes_batches_and_the_epoch_entries_above_the_cut) {
  auto log = create(small_config());
  for (int i = 0; i < 20; ++i)
    append(*log, batch(4, 1000, static_cast<uint64_t>(i), 30));
  for (int i = 0; i < 20; ++i) {
    append(*log, batch(4, 1000, static_cast<uint64_t>(i), 30), LeaderEpoch(3));
  }
  ASSERT_EQ(log->epoch_entries().size(), 2u);
  ASSERT_TRUE(log->truncate_to(Offset(42)).ok());  // inside a batch [40, 43]: cut at 40
  EXPECT_EQ(log->log_end_offset(), Offset(40));
  ASSERT_EQ(log->epoch_entries().size(), 1u);
  EXPECT_EQ(log->end_offset_for_epoch(LeaderEpoch(0)),
            (EpochEndOffset{LeaderEpoch(0), Offset(40)}));
  EXPECT_EQ(append(*log, batch(1, 5), LeaderEpoch(4)).base_offset, Offset(40));
  ASSERT_TRUE(log->truncate_to(Offset(10)).ok());
  EXPECT_EQ(log->log_end_offset(), Offset(8));
  EXPECT_EQ(read_batches(*log, Offset(0), Offset(8)).size(), 2u);
}

TEST_F(LogTest, truncate_fully_restarts_an_empty_log_at_the_given_offset) {
  auto log = create(small_config());
  for (int i = 0; i < 10; ++i)
    append(*log, batch(4, 1000, static_cast<uint64_t>(i), 30));
  ASSERT_TRUE(log->truncate_fully_and_start_at(Offset(500)).ok());
  EXPECT_EQ(log->log_start_offset(), Offset(500));
  EXPECT_EQ(log->log_end_offset(), Offset(500));
  EXPECT_EQ(log->stats().segment_count, 1u);
  EXPECT_TRUE(log->epoch_entries().empty());
  Bytes b = batch(2, 1000);
  set_base_offset(b, Offset(500));
  set_partition_leader_epoch(b, LeaderEpoch(3));
  ASSERT_TRUE(log->append_as_follower(b).ok());
  EXPECT_EQ(log->log_end_offset(), Offset(502));
}

TEST_F(LogTest, follower_appends_refuse_batches_without_a_leader_epoch) {
  auto log = create(small_config());
  Bytes b = batch(2, 1000);  // PartitionLeaderEpoch -1, as a producer sends it
  EXPECT_EQ(log->append_as_follower(b).code(), ErrorCode::CORRUPT_MESSAGE);
  EXPECT_EQ(log->log_end_offset(), Offset(0));
}

TEST_F(LogTest, a_new_leader_records_its_epoch_at_the_log_end_before_any_write) {
  auto log = create(small_config());
  append(*log, batch(5, 1000), LeaderEpoch(1));
  auto start = log->assign_leader_epoch(LeaderEpoch(4));
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(*start, Offset(5));
  EXPECT_EQ(log->latest_epoch(), (EpochEntry{LeaderEpoch(4), Offset(5)}));
  EXPECT_EQ(log->end_offset_for_epoch(LeaderEpoch(1)), (EpochEndOffset{LeaderEpoch(1), Offset(5)}));
  EXPECT_EQ(*log->assign_leader_epoch(LeaderEpoch(4)), Offset(5)) << "idempotent";
  EXPECT_EQ(log->assign_leader_epoch(LeaderEpoch(3)).code(), ErrorCode::FENCED_LEADER_EPOCH);
  append(*log, batch(2, 1000), LeaderEpoch(4));
  ASSERT_TRUE(log->close().ok());
  auto reopened = reopen(small_config());
  EXPECT_EQ(reopened->latest_epoch(), (EpochEntry{LeaderEpoch(4), Offset(5)}))
      << "persisted before the write";
}

TEST_F(LogTest, truncating_to_the_log_end_drops_an_epoch_that_starts_there) {
  // A follower that led an epoch without writing in it (KIP-279) must forget that epoch when the
  // new leader says so, or its next fetch names it again.
  auto log = create(small_config());
  append(*log, batch(5, 1000), LeaderEpoch(1));
  ASSERT_TRUE(log->assign_leader_epoch(LeaderEpoch(3)).ok());
  ASSERT_TRUE(log->truncate_to(Offset(5)).ok());
  EXPECT_EQ(log->latest_epoch(), (EpochEntry{LeaderEpoch(1), Offset(0)}));
  EXPECT_EQ(log->log_end_offset(), Offset(5));
}

TEST_F(LogTest, the_high_watermark_survives_a_restart_and_truncation_lowers_it) {
  auto log = create(small_config());
  for (int i = 0; i < 4; ++i)
    append(*log, batch(5, 1000, static_cast<uint64_t>(i)), LeaderEpoch(1));
  log->set_high_watermark(Offset(12));
  ASSERT_TRUE(log->checkpoint().ok());
  log.reset();  // a crash: no close
  auto reopened = reopen(small_config());
  EXPECT_EQ(reopened->high_watermark(), Offset(12)) << "replication-offset-checkpoint";
  ASSERT_TRUE(reopened->truncate_to(Offset(10)).ok());
  EXPECT_EQ(reopened->high_watermark(), Offset(10));
  reopened->set_high_watermark(Offset(500));
  EXPECT_EQ(reopened->high_watermark(), Offset(10)) << "never above the log end";
}

TEST_F(LogTest, follower_appends_must_start_at_the_log_end_and_record_new_epochs) {
  auto log = create(small_config());
  Bytes b = batch(3, 1000);
  set_base_offset(b, Offset(1));
  set_partition_leader_epoch(b, LeaderEpoch(7));
  EXPECT_EQ(log->append_as_follower(b).code(), ErrorCode::OFFSET_OUT_OF_RANGE);
  set_base_offset(b, Offset(0));
  ASSERT_TRUE(log->append_as_follower(b).ok());
  EXPECT_EQ(log->latest_epoch(), (EpochEntry{LeaderEpoch(7), Offset(0)}));
  Bytes corrupt = batch(1, 1000);
  set_base_offset(corrupt, Offset(3));
  set_partition_leader_epoch(corrupt, LeaderEpoch(7));
  corrupt[Lay::kRecords] ^= 4;
  EXPECT_EQ(log->append_as_follower(corrupt).code(), ErrorCode::CORRUPT_MESSAGE);
  EXPECT_EQ(log->log_end_offset(), Offset(3));
}

TEST_F(LogTest, offset_for_timestamp_finds_the_first_record_at_or_after_the_target) {
  auto log = create(small_config());
  for (auto codec : {CompressionType::kNone, CompressionType::kZstd}) {
    RecordBatchBuilder b;
    b.set_compression(codec);
    const int64_t base = codec == CompressionType::kNone ? 1000 : 5000;
    for (int i = 0; i < 10; ++i)
      b.add(std::nullopt, "v", base + i * 10);
    append(*log, b.build());
  }
  auto found = log->offset_for_timestamp(1035);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, (TimestampOffset{1040, Offset(4)}));
  found = log->offset_for_timestamp(5011);
  EXPECT_EQ(**found, (TimestampOffset{5020, Offset(12)}));
  EXPECT_FALSE(log->offset_for_timestamp(99'999)->has_value());
  EXPECT_EQ(**log->offset_for_timestamp(0), (TimestampOffset{1000, Offset(0)}));
  EXPECT_EQ(**log->offset_of_max_timestamp(), (TimestampOffset{5090, Offset(19)}));
}

TEST_F(LogTest, flush_advances_the_durable_offset_and_completes_waiters_and_the_listener) {
  auto log = create(small_config());
  std::atomic<int64_t> heard{-1};
  log->set_durable_listener([&](Offset o) { heard = o.value(); });
  append(*log, batch(3, 1000));
  std::promise<Status> waited;
  log->when_durable(Offset(3), [&](Status s) { waited.set_value(s); });
  EXPECT_EQ(log->durable_end_offset(), Offset(0));
  ASSERT_TRUE(log->flush().ok());
  EXPECT_EQ(log->durable_end_offset(), Offset(3));
  auto future = waited.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(future.get().ok());
  EXPECT_EQ(heard.load(), 3);
  bool inline_called = false;
  log->when_durable(Offset(2), [&](Status s) { inline_called = s.ok(); });
  EXPECT_TRUE(inline_called);
}

TEST_F(LogTest, waiters_above_a_truncation_point_fail) {
  auto log = create(small_config());
  append(*log, batch(3, 1000));
  append(*log, batch(3, 1000));
  Status got;
  log->when_durable(Offset(6), [&](Status s) { got = s; });
  ASSERT_TRUE(log->truncate_to(Offset(3)).ok());
  EXPECT_EQ(got.code(), ErrorCode::NOT_LEADER_OR_FOLLOWER);
}

TEST_F(LogTest, a_read_slice_stays_readable_after_retention_deletes_its_segment) {
  LogConfig c = small_config();
  c.retention_ms = 1;
  auto log = create(c);
  for (int i = 0; i < 20; ++i)
    append(*log, batch(4, 1, static_cast<uint64_t>(i), 30));
  auto r = log->read(Offset(0), 1 << 20, Offset(80));
  ASSERT_TRUE(r.ok());
  const fs::path path = r->slice.file->path();
  log->set_high_watermark(log->log_end_offset());
  ASSERT_GT(*log->apply_retention(clock_.wall_ms()), 0u);
  EXPECT_FALSE(fs::exists(path));
  auto bytes = r->slice.copy_to_memory();
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(all_batches_valid(*bytes));
}

TEST_F(LogTest, close_then_open_trusts_the_clean_shutdown_and_keeps_everything) {
  LogConfig c = small_config();
  auto log = create(c);
  for (int i = 0; i < 30; ++i)
    append(*log, batch(4, 1000 + i, static_cast<uint64_t>(i), 30));
  const auto before = read_batches(*log, Offset(0), Offset(120));
  ASSERT_TRUE(log->close().ok());
  EXPECT_TRUE(fs::exists(dir_.path() / tp_.dir_name() / kCleanShutdownFile));
  EXPECT_EQ(log->append_as_leader(*std::make_unique<Bytes>(batch(1, 1)), LeaderEpoch(0)).code(),
            ErrorCode::KAFKA_STORAGE_ERROR);
  log.reset();
  RecoveryReport report;
  auto again = reopen(c, &report);
  EXPECT_TRUE(report.clean_shutdown);
  EXPECT_EQ(report.segments_scanned, 0u);
  EXPECT_FALSE(fs::exists(dir_.path() / tp_.dir_name() / kCleanShutdownFile));
  EXPECT_EQ(again->log_end_offset(), Offset(120));
  EXPECT_EQ(again->durable_end_offset(), Offset(120));
  EXPECT_EQ(read_batches(*again, Offset(0), Offset(120)), before);
  EXPECT_EQ(again->topic_id(), "AAAAAAAAAAAAAAAAAAAAAQ");
  EXPECT_EQ(append(*again, batch(1, 1)).base_offset, Offset(120));
}

TEST_F(LogTest, reopening_without_close_scans_and_recovers_unflushed_data_too) {
  auto log = create(small_config());
  for (int i = 0; i < 30; ++i)
    append(*log, batch(4, 1000, static_cast<uint64_t>(i), 30));
  const auto before = read_batches(*log, Offset(0), Offset(120));
  log.reset();  // a crash of the process: page cache still holds everything
  RecoveryReport report;
  auto again = reopen(small_config(), &report);
  EXPECT_FALSE(report.clean_shutdown);
  EXPECT_GT(report.segments_scanned, 0u);
  EXPECT_TRUE(report.corruptions.empty());
  EXPECT_EQ(read_batches(*again, Offset(0), Offset(120)), before);
  EXPECT_EQ(again->durable_end_offset(), Offset(120));
}

TEST_F(LogTest, missing_index_files_are_rebuilt_on_open) {
  auto log = create(small_config());
  for (int i = 0; i < 30; ++i)
    append(*log, batch(4, 1000 + i, static_cast<uint64_t>(i), 30));
  const auto before = read_batches(*log, Offset(0), Offset(120));
  ASSERT_TRUE(log->close().ok());
  log.reset();
  for (const auto& e : fs::directory_iterator(dir_.path() / tp_.dir_name())) {
    if (e.path().extension() == ".index" || e.path().extension() == ".timeindex") {
      fs::remove(e.path());
    }
  }
  auto again = reopen(small_config());
  EXPECT_EQ(read_batches(*again, Offset(0), Offset(120)), before);
  EXPECT_GT(again->segments_for_test().front()->offset_index_entries(), 0u);
  EXPECT_EQ(**again->offset_for_timestamp(1010), (TimestampOffset{1010, Offset(40)}));
}

TEST_F(LogTest, partition_metadata_uses_kafkas_format) {
  auto log = create(small_config());
  auto text = read_whole_file(dir_.path() / tp_.dir_name() / kPartitionMetadataFile);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n");
}

TEST(TopicPartitionName, the_partition_follows_the_last_dash) {
  const auto tp = TopicPartition::parse_dir_name("my-topic-name-12");
  ASSERT_TRUE(tp.has_value());
  EXPECT_EQ(tp->topic, "my-topic-name");
  EXPECT_EQ(tp->partition, 12);
  EXPECT_FALSE(TopicPartition::parse_dir_name("orders-3.abc-delete").has_value());
  EXPECT_FALSE(TopicPartition::parse_dir_name("nodash").has_value());
  EXPECT_FALSE(TopicPartition::parse_dir_name("-3").has_value());
}

TEST_F(LogTest, concurrent_appends_flushes_and_reads_stay_consistent) {
  LogConfig c = small_config();
  c.segment_bytes = 64 * 1024;
  auto log = create(c);
  std::atomic<bool> done{false};
  std::atomic<int> bad_reads{0};
  std::thread flusher([&] {
    while (!done)
      ASSERT_TRUE(log->flush().ok());
  });
  std::thread reader([&] {
    while (!done) {
      const Offset end = log->log_end_offset();
      for (Offset o{0}; o < end;) {
        auto r = log->read(o, 4096, end);
        if (!r.ok()) {
          ++bad_reads;
          break;
        }
        if (r->slice.length == 0) break;
        auto bytes = r->slice.copy_to_memory();
        if (!bytes.ok() || !all_batches_valid(*bytes)) ++bad_reads;
        o = r->last_offset + 1;
      }
    }
  });
  for (int i = 0; i < 2000; ++i)
    append(*log, batch(5, 1000, static_cast<uint64_t>(i), 20));
  done = true;
  flusher.join();
  reader.join();
  EXPECT_EQ(bad_reads.load(), 0);
  ASSERT_TRUE(log->flush().ok());
  EXPECT_EQ(log->durable_end_offset(), Offset(10'000));
  EXPECT_EQ(read_batches(*log, Offset(0), Offset(10'000)).size(), 2000u);
}

TEST_F(LogTest, create_time_outside_the_timestamp_bounds_is_invalid_timestamp) {
  LogConfig c = small_config();
  c.timestamp_before_max_ms = 1000;
  c.timestamp_after_max_ms = 500;
  auto log = create(c);
  const int64_t now = clock_.wall_ms();
  for (const int64_t ts : {now - 1000, now, now + 500}) {
    Bytes ok = batch(2, ts);
    EXPECT_TRUE(log->append_as_leader(ok, LeaderEpoch(0)).ok()) << ts - now;
  }
  for (const int64_t ts : {now - 1001, now + 501}) {
    Bytes late = batch(2, ts);
    auto r = log->append_as_leader(late, LeaderEpoch(0));
    ASSERT_FALSE(r.ok()) << ts - now;
    EXPECT_EQ(r.code(), ErrorCode::INVALID_TIMESTAMP);
    EXPECT_NE(r.error().message().find(fmt::format("[{}, {}]", now - 1000, now + 500)),
              std::string::npos)
        << r.error().message();
  }
  // The deprecated difference.max.ms bounds both sides when they are unset (as Kafka).
  LogConfig d = small_config();
  d.timestamp_difference_max_ms = 10;
  ASSERT_TRUE(log->set_config(d).ok());
  Bytes old = batch(1, now - 11);
  EXPECT_EQ(log->append_as_leader(old, LeaderEpoch(0)).code(), ErrorCode::INVALID_TIMESTAMP);
  // LogAppendTime topics take any producer timestamp: the broker's replaces it.
  d.message_timestamp_type = TimestampType::kLogAppendTime;
  ASSERT_TRUE(log->set_config(d).ok());
  Bytes any = batch(1, 1);
  EXPECT_TRUE(log->append_as_leader(any, LeaderEpoch(0)).ok());
  EXPECT_FALSE(LogConfig{}.with_overrides({{"message.timestamp.after.max.ms", "-1"}}).ok());
  auto parsed = LogConfig{}.with_overrides({{"message.timestamp.before.max.ms", "60000"}});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->before_bound_ms(), 60000);
  EXPECT_EQ(parsed->after_bound_ms(), INT64_MAX);
}

}  // namespace
}  // namespace ferry::storage::test
