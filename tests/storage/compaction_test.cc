// Log compaction: the pure core (compaction.h) and the cleaner on real logs (log_cleaner.h),
// including a crash at every step of a pass.
#include "storage/compaction.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/file_util.h"
#include "storage/log_cleaner.h"
#include "tests/storage/log_test_util.h"

namespace ferry::storage::test {
namespace {

namespace fs = std::filesystem;
using KV = std::pair<std::string, std::optional<std::string>>;

Bytes keyed(const std::vector<KV>& records, int64_t ts,
            CompressionType codec = CompressionType::kNone,
            SnappyFraming framing = SnappyFraming::kXerial) {
  RecordBatchBuilder b;
  b.set_compression(codec, framing);
  for (const auto& [k, v] : records)
    b.add(k, v, ts);
  return b.build();
}

ByteSpan key(const std::string& k) {
  return as_bytes(std::string_view(k));
}

// offset -> (key, value) of every record the log serves, read from the start.
std::map<int64_t, KV> contents(const PartitionLog& log) {
  std::map<int64_t, KV> out;
  for (const Bytes& b : read_batches(log, log.log_start_offset(), log.log_end_offset())) {
    auto decoded = decode_records(RecordBatchView(b), 1 << 26);
    EXPECT_TRUE(decoded.ok()) << decoded.error().to_string();
    if (!decoded.ok()) continue;
    for (const Record& r : decoded->records) {
      out[r.offset.value()] = {
          std::string(as_string_view(*r.key)),
          r.value ? std::optional<std::string>(as_string_view(*r.value)) : std::nullopt};
    }
  }
  return out;
}

// key -> (offset, value) of the latest record of each key.
std::map<std::string, std::pair<int64_t, std::optional<std::string>>> latest(
    const std::map<int64_t, KV>& records) {
  std::map<std::string, std::pair<int64_t, std::optional<std::string>>> out;
  for (const auto& [offset, kv] : records)
    out[kv.first] = {offset, kv.second};
  return out;
}

// ---- OffsetMap ------------------------------------------------------------------------------

TEST(OffsetMap, keeps_the_latest_offset_per_key_within_its_budget) {
  OffsetMap map(24 * 1000, 0.9);
  EXPECT_EQ(map.capacity(), 900u);
  EXPECT_TRUE(map.put(key("a"), Offset(1)));
  EXPECT_TRUE(map.put(key("a"), Offset(7)));
  EXPECT_TRUE(map.put(key(""), Offset(2)));
  EXPECT_EQ(map.get(key("a")), Offset(7));
  EXPECT_EQ(map.get(key("")), Offset(2));
  EXPECT_FALSE(map.get(key("b")).has_value());
  EXPECT_EQ(map.size(), 2u);
  for (int i = 0; i < 898; ++i)
    ASSERT_TRUE(map.put(key("k" + std::to_string(i)), Offset(100 + i)));
  EXPECT_TRUE(map.full());
  EXPECT_FALSE(map.put(key("one-too-many"), Offset(5000)));
  EXPECT_TRUE(map.put(key("k5"), Offset(6000)));  // an existing key still updates
  for (int i = 0; i < 898; ++i) {
    ASSERT_EQ(map.get(key("k" + std::to_string(i))), Offset(i == 5 ? 6000 : 100 + i));
  }
  map.clear();
  EXPECT_EQ(map.size(), 0u);
  EXPECT_FALSE(map.get(key("a")).has_value());
}

// ---- planning -------------------------------------------------------------------------------

LogConfig compact_config() {
  LogConfig c;
  c.compact_policy = true;
  c.delete_policy = false;
  return c;
}

std::vector<CleanableSegment> segs(std::initializer_list<std::tuple<int64_t, int64_t, uint64_t>> s,
                                   int64_t ts = 0) {
  std::vector<CleanableSegment> out;
  for (const auto& [base, end, size] : s)
    out.push_back({Offset(base), Offset(end), size, ts});
  return out;
}

TEST(PlanCleaning, cleans_whole_non_active_segments_below_the_stable_end_when_dirty_enough) {
  const auto s = segs({{0, 100, 1000}, {100, 200, 1000}, {200, 300, 1000}, {300, 350, 500}});
  const LogConfig c = compact_config();
  auto plan = plan_cleaning(s, c, 0, std::nullopt, Offset(0), Offset(350));
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->first_dirty, Offset(0));
  EXPECT_EQ(plan->first_uncleanable, Offset(300));  // the active segment
  EXPECT_EQ(plan->dirty_bytes, 3000u);
  // The HW in the middle of a segment: only the segments wholly below it.
  plan = plan_cleaning(s, c, 0, std::nullopt, Offset(0), Offset(150));
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->first_uncleanable, Offset(100));
  // Checkpointed at 200: 2000 clean bytes vs 1000 dirty is a ratio of 1/3 < 0.5.
  EXPECT_FALSE(plan_cleaning(s, c, 0, Offset(200), Offset(0), Offset(350)).has_value());
  LogConfig eager = c;
  eager.min_cleanable_dirty_ratio = 0.3;
  plan = plan_cleaning(s, eager, 0, Offset(200), Offset(0), Offset(350));
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->first_dirty, Offset(200));
  EXPECT_NEAR(plan->dirty_ratio, 1.0 / 3, 1e-9);
  // A checkpoint outside the log restarts at the log start.
  plan = plan_cleaning(s, c, 0, Offset(9999), Offset(0), Offset(350));
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->first_dirty, Offset(0));
  // Not compacted, or only the active segment: nothing.
  LogConfig del;
  EXPECT_FALSE(plan_cleaning(s, del, 0, std::nullopt, Offset(0), Offset(350)).has_value());
  EXPECT_FALSE(
      plan_cleaning(segs({{0, 10, 100}}), c, 0, std::nullopt, Offset(0), Offset(10)).has_value());
}

TEST(PlanCleaning, min_lag_holds_young_segments_back_and_max_lag_forces_old_ones) {
  auto s = segs({{0, 100, 1000}, {100, 200, 1000}, {200, 300, 1000}});
  s[1].largest_timestamp_ms = 9000;  // young
  LogConfig c = compact_config();
  c.min_compaction_lag_ms = 5000;
  auto plan = plan_cleaning(s, c, 10000, std::nullopt, Offset(0), Offset(300));
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->first_uncleanable, Offset(100));
  // Too clean by ratio, but overdue by max.compaction.lag.ms.
  LogConfig m = compact_config();
  m.max_compaction_lag_ms = 1000;
  s = segs({{0, 100, 1000}, {100, 200, 1000}, {200, 300, 1000}, {300, 400, 100}});
  EXPECT_FALSE(
      plan_cleaning(s, compact_config(), 10000, Offset(200), Offset(0), Offset(400)).has_value());
  plan = plan_cleaning(s, m, 10000, Offset(200), Offset(0), Offset(400));
  ASSERT_TRUE(plan.has_value());
  EXPECT_TRUE(plan->forced);
}

TEST(GroupSegments, merges_neighbours_up_to_segment_bytes) {
  const auto s = segs({{0, 10, 400}, {10, 20, 400}, {20, 30, 400}, {30, 40, 900}, {40, 50, 10}});
  const auto groups = group_segments(s, 1000);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0], (std::vector<size_t>{0, 1}));
  EXPECT_EQ(groups[1], (std::vector<size_t>{2}));
  EXPECT_EQ(groups[2], (std::vector<size_t>{3, 4}));
}

// ---- filtering ------------------------------------------------------------------------------

TEST(FilterBatch, keeps_the_latest_record_per_key_with_its_offsets_in_every_codec) {
  for (const auto& [codec, framing] : std::vector<std::pair<CompressionType, SnappyFraming>>{
           {CompressionType::kNone, SnappyFraming::kXerial},
           {CompressionType::kGzip, SnappyFraming::kXerial},
           {CompressionType::kSnappy, SnappyFraming::kXerial},
           {CompressionType::kSnappy, SnappyFraming::kRaw},
           {CompressionType::kLz4, SnappyFraming::kXerial},
           {CompressionType::kZstd, SnappyFraming::kXerial}}) {
    SCOPED_TRACE(compression_name(codec));
    Bytes b = keyed({{"a", "1"}, {"b", "2"}, {"a", "3"}, {"c", "4"}}, 1000, codec, framing);
    set_base_offset(b, Offset(10));
    OffsetMap map(1 << 16, 0.9);
    map.put(key("a"), Offset(12));
    map.put(key("b"), Offset(50));  // overwritten later in the log
    map.put(key("c"), Offset(13));
    auto r = filter_batch(RecordBatchView(b), map, Offset(60), 5000, 100, 1 << 20);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    ASSERT_EQ(r->kind, BatchFilterResult::Kind::kRewritten);
    EXPECT_EQ(r->records_removed, 2u);
    const RecordBatchView v(r->rewritten);
    EXPECT_TRUE(v.crc_matches());
    EXPECT_EQ(v.base_offset(), Offset(10));
    EXPECT_EQ(v.last_offset(), Offset(13));
    EXPECT_EQ(v.compression(), codec);
    BatchValidationOptions strict;
    EXPECT_FALSE(validate_batch(v, strict).ok());  // a produce would be refused
    strict.allow_compacted = true;
    EXPECT_TRUE(validate_batch(v, strict).ok());
    auto decoded = decode_records(v, 1 << 20);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    ASSERT_EQ(decoded->records.size(), 2u);
    EXPECT_EQ(decoded->records[0].offset, Offset(12));
    EXPECT_EQ(as_string_view(*decoded->records[0].value), "3");
    EXPECT_EQ(decoded->records[0].timestamp, 1000);
    EXPECT_EQ(decoded->records[1].offset, Offset(13));
  }
}

TEST(FilterBatch, keeps_untouched_batches_as_they_are_and_drops_emptied_ones) {
  Bytes b = keyed({{"a", "1"}, {"b", "2"}}, 1000);
  OffsetMap map(1 << 16, 0.9);
  map.put(key("a"), Offset(0));
  map.put(key("b"), Offset(1));
  auto r = filter_batch(RecordBatchView(b), map, Offset(1), 0, 100, 1 << 20);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, BatchFilterResult::Kind::kKeepAsIs);
  map.put(key("a"), Offset(5));
  map.put(key("b"), Offset(6));
  r = filter_batch(RecordBatchView(b), map, Offset(6), 0, 100, 1 << 20);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, BatchFilterResult::Kind::kDrop);
  // Past what the map covers, everything stays.
  r = filter_batch(RecordBatchView(b), map, Offset(-1), 0, 100, 1 << 20);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, BatchFilterResult::Kind::kKeepAsIs);
}

TEST(FilterBatch, a_tombstone_gets_a_delete_horizon_then_goes_once_it_has_passed) {
  Bytes b = keyed({{"a", std::nullopt}, {"b", "2"}}, 1000);
  OffsetMap map(1 << 16, 0.9);
  map.put(key("a"), Offset(0));
  map.put(key("b"), Offset(1));
  auto first = filter_batch(RecordBatchView(b), map, Offset(1), 5000, 100, 1 << 20);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->kind, BatchFilterResult::Kind::kRewritten);
  const RecordBatchView stamped(first->rewritten);
  EXPECT_TRUE(stamped.attributes() & batch_attributes::kDeleteHorizonBit);
  EXPECT_EQ(stamped.base_timestamp(), 5100);
  auto decoded = decode_records(stamped, 1 << 20);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->records.size(), 2u);
  EXPECT_EQ(decoded->records[0].timestamp, 1000);  // rebased: timestamps survive
  EXPECT_FALSE(decoded->records[0].value.has_value());
  // Before the horizon the tombstone stays; at it, it goes.
  auto early = filter_batch(stamped, map, Offset(1), 5099, 100, 1 << 20);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->kind, BatchFilterResult::Kind::kKeepAsIs);
  auto late = filter_batch(stamped, map, Offset(1), 5100, 100, 1 << 20);
  ASSERT_TRUE(late.ok());
  ASSERT_EQ(late->kind, BatchFilterResult::Kind::kRewritten);
  decoded = decode_records(RecordBatchView(late->rewritten), 1 << 20);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->records.size(), 1u);
  EXPECT_EQ(decoded->records[0].offset, Offset(1));
  EXPECT_EQ(decoded->records[0].timestamp, 1000);
}

// ---- the cleaner on a log -------------------------------------------------------------------

class CleanerTest : public LogTest {
 protected:
  LogConfig config() {
    LogConfig c = small_config();
    c.compact_policy = true;
    c.delete_policy = false;
    c.delete_retention_ms = 1000;
    return c;
  }
  // `versions` rounds over `keys` keys, one batch of 5 records per append; the final round
  // deletes every third key. Returns what was written, offset -> (key, value).
  std::map<int64_t, KV> fill(PartitionLog& log, int keys, int versions,
                             CompressionType codec = CompressionType::kNone) {
    std::map<int64_t, KV> written;
    std::vector<KV> pending;
    const auto flush_pending = [&] {
      if (pending.empty()) return;
      const auto r = append(log, keyed(pending, clock_.wall_ms(), codec));
      for (size_t i = 0; i < pending.size(); ++i)
        written[r.base_offset.value() + static_cast<int64_t>(i)] = pending[i];
      pending.clear();
    };
    for (int v = 0; v <= versions; ++v) {
      for (int k = 0; k < keys; ++k) {
        if (v == versions && k % 3 != 0) continue;
        pending.push_back(
            {"key-" + std::to_string(k),
             v == versions ? std::nullopt : std::optional<std::string>("v" + std::to_string(v))});
        if (pending.size() == 5) flush_pending();
      }
    }
    flush_pending();
    return written;
  }
  // Makes everything but the active segment cleanable (durable, checkpointed, under the HW).
  void settle(PartitionLog& log) {
    ASSERT_TRUE(log.flush().ok());
    ASSERT_TRUE(log.checkpoint().ok());
    log.set_high_watermark(log.log_end_offset());
  }
  LogCleaner cleaner() {
    CleanerOptions o;
    o.dedupe_buffer_bytes = 1 << 20;
    o.max_io_bytes_per_second = 1e12;
    return LogCleaner(o, clock_, [] { return std::vector<std::shared_ptr<PartitionLog>>(); });
  }
};

TEST_F(CleanerTest, a_pass_keeps_the_latest_value_of_every_key_at_its_offset) {
  auto log = create(config());
  const auto written = fill(*log, 40, 12, CompressionType::kLz4);
  settle(*log);
  const Offset end = log->log_end_offset();
  const auto before = contents(*log);
  ASSERT_EQ(before, written);
  const uint64_t size_before = log->stats().size_bytes;
  const size_t segments_before = log->stats().segment_count;
  ASSERT_GT(segments_before, 3u);

  LogCleaner c = cleaner();
  auto stats = c.clean(*log);
  ASSERT_TRUE(stats.ok()) << stats.error().to_string();
  ASSERT_TRUE(stats->has_value());
  const Offset active_base = log->segments_for_test().back()->base_offset();
  EXPECT_EQ((*stats)->end, active_base);
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_LT(log->stats().size_bytes, size_before / 3);
  EXPECT_EQ((*stats)->segments_before, segments_before - 1);

  const auto after = contents(*log);
  // Below the active segment: the latest record of each key among those the pass saw (the
  // active segment's are not in the map), tombstones too until their horizon, at the offset it
  // was written; the active segment is untouched.
  std::map<int64_t, KV> below;
  std::map<int64_t, KV> expected;
  for (const auto& [offset, kv] : written) {
    (Offset(offset) < active_base ? below : expected)[offset] = kv;
  }
  for (const auto& [k, at] : latest(below))
    expected[at.first] = {k, at.second};
  EXPECT_EQ(after, expected);
  // A read inside a gap returns the next batch; every record is still where it was written.
  for (const auto& [offset, kv] : after)
    ASSERT_EQ(written.at(offset), kv);
  auto r = log->read(Offset(1), 1 << 20, end);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_GE(r->last_offset, Offset(1));

  // The same after a clean restart and after a crash (no marker, recovery point lost).
  ASSERT_TRUE(log->close().ok());
  log.reset();
  log = reopen(config());
  ASSERT_TRUE(log);
  EXPECT_EQ(contents(*log), after);
  log.reset();
  fs::remove(dir_.path() / tp_.dir_name() / kRecoveryPointFile);
  log = reopen(config());
  ASSERT_TRUE(log);
  EXPECT_EQ(contents(*log), after);
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(log->stats().corruption_events, 0u);
}

TEST_F(CleanerTest, tombstones_go_after_delete_retention_and_later_passes_only_deduplicate) {
  LogConfig c = config();
  c.min_cleanable_dirty_ratio = 0.01;
  auto log = create(c);
  fill(*log, 30, 4);
  int pads = 0;
  const auto pad = [&] {  // unique keys: pushes what came before out of the active segment
    for (int i = 0; i < 40; ++i, ++pads)
      append(*log, keyed({{"pad-" + std::to_string(pads), "x"}}, clock_.wall_ms()));
    settle(*log);
  };
  pad();
  const auto tombstones = [&] {
    size_t n = 0;
    const Offset active_base = log->segments_for_test().back()->base_offset();
    for (const auto& [offset, kv] : contents(*log))
      n += Offset(offset) < active_base && !kv.second;
    return n;
  };
  LogCleaner cleaner_ = cleaner();
  auto r = cleaner_.clean(*log);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(tombstones(), 10u);  // kept, with a horizon of now + 1000 ms
  pad();
  r = cleaner_.clean(*log);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(tombstones(), 10u);  // the horizon has not passed
  clock_.advance_ms(1000);
  pad();
  r = cleaner_.clean(*log);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(tombstones(), 0u);
  // One record per key is left of everything the passes saw.
  std::map<std::string, int> per_key;
  const Offset active_base = log->segments_for_test().back()->base_offset();
  for (const auto& [offset, kv] : contents(*log)) {
    if (Offset(offset) < active_base) ++per_key[kv.first];
  }
  for (const auto& [k, n] : per_key)
    EXPECT_EQ(n, 1) << k;
  EXPECT_EQ(per_key.count("key-0"), 0u);  // deleted
  EXPECT_EQ(per_key.count("key-1"), 1u);
}

TEST_F(CleanerTest, nothing_at_or_above_the_high_watermark_is_cleaned) {
  auto log = create(config());
  fill(*log, 20, 40);
  ASSERT_TRUE(log->flush().ok());
  ASSERT_TRUE(log->checkpoint().ok());
  log->set_high_watermark(Offset(0));
  LogCleaner c = cleaner();
  auto r = c.clean(*log);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  const auto segments = log->segments_for_test();
  ASSERT_GE(segments.size(), 4u);
  log->set_high_watermark(segments[2]->base_offset() + 1);  // inside the third segment
  const auto before = contents(*log);
  r = c.clean(*log);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->end, segments[2]->base_offset());
  const auto after = contents(*log);
  for (const auto& [offset, kv] : before) {
    if (Offset(offset) >= segments[2]->base_offset()) {
      EXPECT_EQ(after.at(offset), kv);
    }
  }
}

TEST_F(CleanerTest, a_follower_copies_a_compacted_log_gaps_included) {
  auto leader = create(config());
  fill(*leader, 25, 8);
  settle(*leader);
  LogCleaner c = cleaner();
  ASSERT_TRUE(c.clean(*leader).ok());
  const auto expected = contents(*leader);
  ferry::test::TempDir other;
  auto follower = PartitionLog::create(other.path(), tp_, "", config(), clock_);
  ASSERT_TRUE(follower.ok());
  Offset next(0);
  while (next < leader->log_end_offset()) {
    auto r = leader->read(next, 1 << 16, leader->log_end_offset());
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    ASSERT_GT(r->slice.length, 0u);
    auto bytes = r->slice.copy_to_memory();
    ASSERT_TRUE(bytes.ok());
    auto appended = (*follower)->append_as_follower(*bytes);
    ASSERT_TRUE(appended.ok()) << appended.error().to_string();
    next = r->last_offset + 1;
  }
  EXPECT_EQ(contents(**follower), expected);
  EXPECT_EQ((*follower)->log_end_offset(), leader->log_end_offset());
  // A log that was never compacted still refuses a gap.
  ferry::test::TempDir third;
  LogConfig plain = small_config();
  auto strict = PartitionLog::create(third.path(), tp_, "", plain, clock_);
  ASSERT_TRUE(strict.ok());
  Bytes far = keyed({{"k", "v"}}, 0);
  set_base_offset(far, Offset(5));
  set_partition_leader_epoch(far, LeaderEpoch(0));
  EXPECT_EQ((*strict)->append_as_follower(far).code(), ErrorCode::OFFSET_OUT_OF_RANGE);
}

TEST_F(CleanerTest, a_compacted_topic_refuses_records_without_a_key) {
  auto log = create(config());
  Bytes keyless = batch(2, 0);
  auto r = log->append_as_leader(keyless, LeaderEpoch(0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::INVALID_RECORD);
  Bytes with_key = keyed({{"k", "v"}}, 0);
  EXPECT_TRUE(log->append_as_leader(with_key, LeaderEpoch(0)).ok());
}

TEST_F(CleanerTest, a_compact_only_log_is_not_retained_by_time_or_size) {
  LogConfig c = config();
  c.retention_ms = 1;
  c.retention_bytes = 1;
  auto log = create(c);
  fill(*log, 20, 6);
  settle(*log);
  clock_.advance_ms(100000);
  auto deleted = log->apply_retention(clock_.wall_ms() + 100000);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 0u);
  c.delete_policy = true;  // compact,delete: retention applies too
  ASSERT_TRUE(log->set_config(c).ok());
  deleted = log->apply_retention(clock_.wall_ms() + 100000);
  ASSERT_TRUE(deleted.ok());
  EXPECT_GT(*deleted, 0u);
}

TEST_F(CleanerTest, a_truncation_during_a_pass_abandons_it) {
  auto log = create(config());
  fill(*log, 20, 40);
  settle(*log);
  const Offset cut = log->segments_for_test()[1]->base_offset() + 3;
  LogCleaner c = cleaner();
  c.set_step_hook([&](std::string_view at) -> Status {
    // Below the HW only in an unclean leader change, but then the staged copy is stale.
    if (at == "staged") FERRY_TRY(log->truncate_to(cut));
    return ok_status();
  });
  auto r = c.clean(*log);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::KAFKA_STORAGE_ERROR);
  EXPECT_LE(log->log_end_offset(), cut);
  for (const auto& [offset, kv] : contents(*log))
    EXPECT_LT(Offset(offset), cut);
  EXPECT_FALSE(fs::exists(log->cleaning_dir()));
}

// A crash at each step of a pass: open() finds the old segments or the cleaned ones, never a
// mix with a missing range, and every record it serves is one that was written there.
TEST_F(CleanerTest, a_crash_at_any_step_of_a_pass_leaves_a_consistent_log) {
  for (const std::string step : {"staged", "swap-committed", "swapped", "renamed-index-only"}) {
    SCOPED_TRACE(step);
    ferry::test::TempDir dir;
    const fs::path pdir = dir.path() / tp_.dir_name();
    std::map<int64_t, KV> written;
    std::map<int64_t, KV> before;
    {
      auto log = PartitionLog::create(dir.path(), tp_, "", config(), clock_);
      ASSERT_TRUE(log.ok());
      written = fill(**log, 30, 8);
      settle(**log);
      before = contents(**log);
      LogCleaner c = cleaner();
      c.set_step_hook([&](std::string_view at) -> Status {
        const std::string stop = step == "renamed-index-only" ? "swap-committed" : step;
        if (at != stop) return ok_status();
        if (step == "renamed-index-only") {
          // Part of step 2 done: the staged index renamed over the old one, not the log.
          const std::string stem =
              Segment::file_stem((*log)->segments_for_test()[0]->base_offset());
          fs::rename(pdir / "cleaning" / (stem + ".index"), pdir / (stem + ".index"));
        }
        return Error(ErrorCode::UNKNOWN_SERVER_ERROR, "crash");
      });
      auto r = c.clean(**log);
      ASSERT_FALSE(r.ok());
    }  // the log object goes away without close(): a crash
    auto log = PartitionLog::open(pdir, config(), clock_);
    ASSERT_TRUE(log.ok()) << log.error().to_string();
    const auto after = contents(**log);
    EXPECT_FALSE(fs::exists(pdir / "cleaning"));
    EXPECT_FALSE(fs::exists(pdir / kCleanerSwapFile));
    EXPECT_EQ(latest(after), latest(before));
    for (const auto& [offset, kv] : after)
      ASSERT_EQ(written.at(offset), kv) << offset;
    if (step == "staged") {
      EXPECT_EQ(after, before);
    } else {
      EXPECT_LT(after.size(), before.size());
    }
    // And the log still cleans.
    LogCleaner c = cleaner();
    settle(**log);
    auto r = c.clean(**log);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(latest(contents(**log)), latest(before));
  }
}

}  // namespace
}  // namespace ferry::storage::test
