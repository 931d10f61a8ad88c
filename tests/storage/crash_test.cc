// Crash tests: write batches, note which were acknowledged as durable (flushed), "crash" (drop
// the log without close), damage the files the way a power loss or a bad disk could beyond the
// durable point (cuts, bit flips, lost or mangled index files), reopen, and check that every
// durable batch is there byte for byte and that no read ever returns a corrupt batch.
// Seeded: FERRY_SEED=<n> replays a run exactly.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <map>

#include "common/random.h"
#include "tests/storage/log_test_util.h"

namespace ferry::storage::test {
namespace {

namespace fs = std::filesystem;

struct Written {
  Offset base;
  Offset last;
  Bytes bytes;
};

struct SegmentFacts {
  fs::path log;
  uint64_t durable_bytes = 0;  // prefix holding only durable batches
  uint64_t size = 0;
};

void flip_bit(const fs::path& file, uint64_t position, int bit) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(position));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ (1 << bit));
  f.seekp(static_cast<std::streamoff>(position));
  f.write(&c, 1);
}

void damage_index(const fs::path& file, Random& rng) {
  if (!fs::exists(file)) return;
  switch (rng.uniform(4)) {
    case 0:
      fs::remove(file);
      break;
    case 1:
      fs::resize_file(file, rng.uniform(fs::file_size(file) + 1));
      break;
    case 2: {
      std::ofstream f(file, std::ios::app | std::ios::binary);
      for (uint64_t i = rng.uniform(30) + 1; i > 0; --i)
        f.put(static_cast<char>(rng.uniform(256)));
      break;
    }
    default: {
      const uint64_t size = fs::file_size(file);
      if (size == 0) break;
      for (int i = 0; i < 3; ++i)
        flip_bit(file, rng.uniform(size), static_cast<int>(rng.uniform(8)));
    }
  }
}

class CrashTest : public LogTest {
 protected:
  int32_t epoch_ = 0;

  // Appends random batches with random flushes; returns what was written and the durable end.
  Offset write_some(PartitionLog& log, Random& rng, std::vector<Written>& written) {
    Offset durable = log.durable_end_offset();
    const int batches = static_cast<int>(rng.range(5, 60));
    for (int i = 0; i < batches; ++i) {
      Bytes b = batch(static_cast<int>(rng.range(1, 6)), 1'000'000 + i, rng.next_u64(),
                      static_cast<size_t>(rng.range(1, 250)));
      if (i % 20 == 19) ++epoch_;
      auto r = log.append_as_leader(b, LeaderEpoch(epoch_));
      EXPECT_TRUE(r.ok()) << r.error().to_string();
      if (!r.ok()) return durable;
      written.push_back({r->base_offset, r->last_offset, b});
      if (rng.chance(0.2)) {
        EXPECT_TRUE(log.flush().ok());
        durable = log.durable_end_offset();
      }
    }
    return durable;
  }

  std::vector<SegmentFacts> facts(const PartitionLog& log, const std::vector<Written>& written,
                                  Offset durable) {
    std::vector<SegmentFacts> out;
    const auto segments = log.segments_for_test();
    for (size_t i = 0; i < segments.size(); ++i) {
      const Offset lo = segments[i]->base_offset();
      const Offset hi = i + 1 < segments.size() ? segments[i + 1]->base_offset() : Offset::max();
      SegmentFacts f{segments[i]->file()->path(), 0, segments[i]->size()};
      for (const auto& w : written) {
        if (w.base >= lo && w.base < hi && w.last < durable) f.durable_bytes += w.bytes.size();
      }
      out.push_back(f);
    }
    return out;
  }

  void damage(const std::vector<SegmentFacts>& segments, Random& rng) {
    // Cut one segment holding non-durable bytes at a random point past its durable prefix.
    std::vector<const SegmentFacts*> cuttable;
    for (const auto& s : segments) {
      if (s.size > s.durable_bytes) cuttable.push_back(&s);
    }
    if (!cuttable.empty() && rng.chance(0.8)) {
      const SegmentFacts& s = *cuttable[rng.uniform(cuttable.size())];
      fs::resize_file(s.log, s.durable_bytes + rng.uniform(s.size - s.durable_bytes + 1));
    }
    for (int flips = static_cast<int>(rng.uniform(4)); flips > 0 && !cuttable.empty(); --flips) {
      const SegmentFacts& s = *cuttable[rng.uniform(cuttable.size())];
      const uint64_t size = fs::file_size(s.log);
      if (size <= s.durable_bytes) continue;
      flip_bit(s.log, s.durable_bytes + rng.uniform(size - s.durable_bytes),
               static_cast<int>(rng.uniform(8)));
    }
    for (const auto& s : segments) {
      if (!rng.chance(0.3)) continue;
      fs::path index = s.log;
      damage_index(index.replace_extension(".index"), rng);
      damage_index(index.replace_extension(".timeindex"), rng);
    }
  }

  // 30 batches of 4 records, epoch 0, then flushed: the fixed logs the targeted tests damage.
  void write_flushed(PartitionLog& log, std::vector<Written>& written) {
    for (int i = 0; i < 30; ++i) {
      Bytes b = batch(4, 1000, static_cast<uint64_t>(i), 50);
      auto r = log.append_as_leader(b, LeaderEpoch(0));
      ASSERT_TRUE(r.ok());
      written.push_back({r->base_offset, r->last_offset, b});
    }
    ASSERT_TRUE(log.flush().ok());
  }

  // Every durable batch is there byte for byte; everything readable is what was written.
  void check(const PartitionLog& log, const std::vector<Written>& written, Offset durable) {
    std::map<int64_t, const Written*> by_base;
    for (const auto& w : written)
      by_base[w.base.value()] = &w;
    ASSERT_GE(log.log_end_offset(), durable);
    ASSERT_EQ(log.durable_end_offset(), log.log_end_offset());
    for (const auto& w : written) {
      if (w.last >= durable) break;
      auto r = log.read(w.base, 1, durable);
      ASSERT_TRUE(r.ok()) << "durable batch at " << w.base << ": " << r.error().to_string();
      auto bytes = r->slice.copy_to_memory();
      ASSERT_TRUE(bytes.ok());
      ASSERT_EQ(*bytes, w.bytes) << "durable batch at " << w.base << " differs";
    }
    const Offset end = log.log_end_offset();
    for (Offset o = log.log_start_offset(); o < end;) {
      auto r = log.read(o, 1 << 16, end);
      if (!r.ok()) {
        ASSERT_EQ(r.code(), ErrorCode::CORRUPT_MESSAGE) << r.error().to_string();
        ASSERT_GE(o, durable) << "a durable offset is unreadable: " << r.error().to_string();
        ++o;
        continue;
      }
      if (r->slice.length == 0) {
        for (const auto& seg : log.segments_for_test()) {
          std::cerr << "segment " << seg->base_offset() << " next " << seg->next_offset()
                    << " size " << seg->size() << " corrupt_tail " << seg->corrupt_tail() << "\n";
        }
        for (const auto& w : written)
          std::cerr << "[" << w.base << "," << w.last << "] ";
      }
      ASSERT_GT(r->slice.length, 0u)
          << "empty read at " << o << " of [" << log.log_start_offset() << ", " << end << ")";
      auto bytes = r->slice.copy_to_memory();
      ASSERT_TRUE(bytes.ok());
      for (size_t pos = 0; pos < bytes->size();) {
        const size_t size = RecordBatchView(ByteSpan(*bytes).subspan(pos)).size_bytes();
        ASSERT_LE(pos + size, bytes->size());
        const RecordBatchView v(ByteSpan(*bytes).subspan(pos, size));
        ASSERT_TRUE(v.crc_matches());
        const auto it = by_base.find(v.base_offset().value());
        ASSERT_NE(it, by_base.end()) << "served a batch never written at " << v.base_offset();
        ASSERT_EQ(Bytes(v.bytes().begin(), v.bytes().end()), it->second->bytes);
        pos += v.size_bytes();
      }
      o = r->last_offset + 1;
    }
  }
};

TEST_F(CrashTest, durable_batches_survive_cuts_bit_flips_and_index_damage_past_the_durable_point) {
  const uint64_t seed = seed_from_env();
  SeededRandom rng(seed);
  constexpr int kIterations = 150;
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    SCOPED_TRACE(::testing::Message() << "FERRY_SEED=" << seed << " iteration " << iteration);
    tp_.partition = iteration;
    LogConfig c = small_config();
    c.segment_bytes = rng.range(2048, 8192);
    auto log = create(c);
    epoch_ = 0;
    std::vector<Written> written;
    Offset durable = write_some(*log, rng, written);
    if (rng.chance(0.3)) {  // a clean restart in the middle, then more writes
      ASSERT_TRUE(log->close().ok());
      log = reopen(c);
      ASSERT_TRUE(log);
      durable = log->durable_end_offset();
      durable = std::max(durable, write_some(*log, rng, written));
    }
    const auto segments = facts(*log, written, durable);
    log.reset();  // crash
    damage(segments, rng);
    RecoveryReport report;
    auto again = reopen(c, &report);
    ASSERT_TRUE(again) << "reopen failed";
    check(*again, written, durable);
    if (HasFatalFailure()) return;
    // The recovered log takes new appends after its end.
    const Offset end = again->log_end_offset();
    EXPECT_EQ(append(*again, batch(2, 5), LeaderEpoch(epoch_ + 1)).base_offset, end);
  }
}

TEST_F(CrashTest, a_flipped_bit_in_flushed_data_mid_segment_is_reported_and_never_served) {
  for (const bool clean : {true, false}) {
    SCOPED_TRACE(clean ? "after a clean shutdown" : "after a crash");
    tp_.partition = clean ? 1 : 2;
    LogConfig c = small_config();
    c.segment_bytes = 1 << 20;
    auto log = create(c);
    std::vector<Written> written;
    ASSERT_NO_FATAL_FAILURE(write_flushed(*log, written));
    const fs::path file = log->segments_for_test().front()->file()->path();
    if (clean) {
      ASSERT_TRUE(log->close().ok());
    }
    log.reset();
    uint64_t position = 0;
    for (int i = 0; i < 15; ++i)
      position += written[static_cast<size_t>(i)].bytes.size();
    flip_bit(file, position + batch_layout::kRecords + 7, 3);  // inside batch 15's records
    RecoveryReport report;
    auto again = reopen(c, &report);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->log_end_offset(), Offset(120));  // nothing truncated
    const Offset bad = written[15].base;
    auto r = again->read(bad, 1 << 20, Offset(120));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), ErrorCode::CORRUPT_MESSAGE);
    if (!clean) {
      ASSERT_EQ(report.corruptions.size(), 1u);
      EXPECT_EQ(report.corruptions[0].start_position, position);
    }
    EXPECT_GT(again->stats().corruption_events, 0u);
    // Before the bad batch: served up to it and not beyond.
    auto before = again->read(Offset(0), 1 << 20, Offset(120));
    ASSERT_TRUE(before.ok());
    EXPECT_EQ(before->last_offset, bad - 1);
    // After it: intact.
    auto after = again->read(written[16].base, 1 << 20, Offset(120));
    ASSERT_TRUE(after.ok()) << after.error().to_string();
    auto bytes = after->slice.copy_to_memory();
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(
        Bytes(bytes->begin(), bytes->begin() + static_cast<ptrdiff_t>(written[16].bytes.size())),
        written[16].bytes);
  }
}

// The CRC does not cover a batch's base offset. After damage the scan cannot step over by its
// headers, a batch whose base offset had a bit flipped must not be served at offsets it never
// held (FERRY_SEED=15242798446242270224 found the scan serving one 2^23 offsets too far).
TEST_F(CrashTest, a_batch_with_a_flipped_base_offset_after_damage_is_kept_and_never_served) {
  LogConfig c = small_config();
  c.segment_bytes = 1 << 20;
  auto log = create(c);
  std::vector<Written> written;
  ASSERT_NO_FATAL_FAILURE(write_flushed(*log, written));
  const fs::path file = log->segments_for_test().front()->file()->path();
  log.reset();  // crash
  const uint64_t size = fs::file_size(file);
  uint64_t position = 0;
  for (int i = 0; i < 15; ++i)
    position += written[static_cast<size_t>(i)].bytes.size();
  flip_bit(file, position + batch_layout::kMagic, 0);  // batch 15: no header to step over
  const uint64_t next = position + written[15].bytes.size();
  flip_bit(file, next + batch_layout::kBaseOffset + 5, 7);  // batch 16: base offset + 2^23

  RecoveryReport report;
  auto again = reopen(c, &report);
  ASSERT_TRUE(again);
  const Offset bad = written[15].base;
  EXPECT_EQ(again->log_end_offset(), bad);
  EXPECT_EQ(fs::file_size(file), size) << "the damaged segment is kept";
  ASSERT_EQ(report.corruptions.size(), 1u);
  EXPECT_EQ(report.corruptions[0].start_position, position);
  EXPECT_NE(report.corruptions[0].what.find("cannot be proven"), std::string::npos);
  auto before = again->read(Offset(0), 1 << 20, bad);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->last_offset, bad - 1);
  // New appends continue at the end, in a new segment, and survive another crash.
  EXPECT_EQ(append(*again, batch(2, 5), LeaderEpoch(1)).base_offset, bad);
  ASSERT_TRUE(again->flush().ok());
  EXPECT_EQ(again->segments_for_test().size(), 2u);
  again.reset();
  auto third = reopen(c);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->log_end_offset(), bad + 2);
  auto after = third->read(bad, 1 << 20, bad + 2);
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  EXPECT_EQ(after->first_offset, bad);
}

TEST_F(CrashTest, a_segment_none_of_whose_batches_can_be_placed_is_set_aside) {
  LogConfig c = small_config();
  c.segment_bytes = 1 << 20;
  auto log = create(c);
  for (int i = 0; i < 5; ++i)
    append(*log, batch(3, 1000, static_cast<uint64_t>(i), 50), LeaderEpoch(0));
  ASSERT_TRUE(log->flush().ok());
  const fs::path file = log->segments_for_test().front()->file()->path();
  log.reset();  // crash
  flip_bit(file, batch_layout::kMagic, 1);
  RecoveryReport report;
  auto again = reopen(c, &report);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->log_end_offset(), Offset(0));
  size_t aside = 0;
  for (const auto& entry : fs::directory_iterator(file.parent_path())) {
    if (entry.path().filename().string().find(".log.corrupt-") != std::string::npos) ++aside;
  }
  EXPECT_EQ(aside, 1u);
  EXPECT_EQ(append(*again, batch(2, 5), LeaderEpoch(1)).base_offset, Offset(0));
}

}  // namespace
}  // namespace ferry::storage::test
