// Helpers shared by the storage tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <vector>

#include "common/clock.h"
#include "storage/partition_log.h"
#include "storage/record_batch_builder.h"
#include "tests/support/temp_dir.h"

namespace ferry {
// Lets gtest print strong ids in failure messages.
template <typename Tag, typename Rep>
std::ostream& operator<<(std::ostream& os, StrongInt<Tag, Rep> v) {
  return os << v.value();
}
}  // namespace ferry

namespace ferry::storage::test {

// A batch of `count` records with distinct values (seeded), timestamps `ts`.
inline Bytes batch(int count, int64_t ts, uint64_t seed = 1, size_t value_bytes = 20,
                   CompressionType codec = CompressionType::kNone) {
  return make_batch(count, value_bytes, ts, seed, codec);
}

// Reads every batch in [from, to) by repeated read() calls; copies the bytes.
inline std::vector<Bytes> read_batches(const PartitionLog& log, Offset from, Offset to) {
  std::vector<Bytes> out;
  Offset next = from;
  while (next < to) {
    auto r = log.read(next, 1 << 20, to);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    if (!r.ok() || r->slice.length == 0) break;
    auto bytes = r->slice.copy_to_memory();
    EXPECT_TRUE(bytes.ok());
    size_t pos = 0;
    while (pos < bytes->size()) {
      RecordBatchView v(ByteSpan(*bytes).subspan(pos));
      out.emplace_back(bytes->begin() + static_cast<ptrdiff_t>(pos),
                       bytes->begin() + static_cast<ptrdiff_t>(pos + v.size_bytes()));
      pos += v.size_bytes();
    }
    next = r->last_offset + 1;
  }
  return out;
}

// Whether `bytes` is a sequence of whole batches whose CRCs all match.
inline bool all_batches_valid(ByteSpan bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    auto v = parse_batch_header(bytes.subspan(pos));
    if (!v.ok() || !v->crc_matches()) return false;
    pos += v->size_bytes();
  }
  return true;
}

class LogTest : public ::testing::Test {
 protected:
  LogConfig small_config() {
    LogConfig c;
    c.segment_bytes = 4096;
    c.index_interval_bytes = 256;
    c.retention_ms = -1;
    return c;
  }
  std::shared_ptr<PartitionLog> create(const LogConfig& config) {
    auto log = PartitionLog::create(dir_.path(), tp_, "AAAAAAAAAAAAAAAAAAAAAQ", config, clock_);
    EXPECT_TRUE(log.ok()) << log.error().to_string();
    return *log;
  }
  std::shared_ptr<PartitionLog> reopen(const LogConfig& config, RecoveryReport* report = nullptr) {
    auto log = PartitionLog::open(dir_.path() / tp_.dir_name(), config, clock_, report);
    EXPECT_TRUE(log.ok()) << log.error().to_string();
    return log.ok() ? *log : nullptr;
  }
  AppendResult append(PartitionLog& log, Bytes b, LeaderEpoch epoch = LeaderEpoch(0)) {
    auto r = log.append_as_leader(b, epoch);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : AppendResult{};
  }

  ferry::test::TempDir dir_;
  ManualClock clock_;
  TopicPartition tp_{"orders-eu", 3};
};

}  // namespace ferry::storage::test
