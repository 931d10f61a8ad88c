// LogCleaner: the background compaction of cleanup.policy=compact logs (one per log dir, a
// thread each). The I/O driver around the pure core in compaction.h: it picks the log with the
// highest dirty ratio (or an overdue one), fills the bounded OffsetMap from the dirty part,
// rewrites the log from its start through what the map covers into new segments staged beside
// it, swaps each in crash-safely (PartitionLog::swap_in_cleaned) and moves the cleaner
// checkpoint. Never touches the active segment or anything at or above min(HW, recovery point);
// reads and writes are throttled (log.cleaner.io.max.bytes.per.second) so produce and fetch keep
// the disk. A log whose pass fails (a corrupt batch, an I/O error) is logged and skipped until
// restart; a pass that loses a race with truncation or retention is simply retried later.
//
// Thread-safety: clean()/clean_filthiest() may run on any one thread at a time per cleaner
// (the background thread, or a test calling them with no thread started).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "storage/partition_log.h"

namespace ferry::storage {

class OffsetMap;

struct CleanerOptions {
  size_t dedupe_buffer_bytes = 128u << 20;             // log.cleaner.dedupe.buffer.size
  double load_factor = 0.9;                            // log.cleaner.io.buffer.load.factor
  double max_io_bytes_per_second = 100.0 * (1 << 20);  // log.cleaner.io.max.bytes.per.second
  int64_t backoff_ms = 15000;                          // log.cleaner.backoff.ms
};

struct CleanStats {
  TopicPartition tp;
  Offset first_dirty;
  Offset end;  // the next pass's first dirty offset
  double dirty_ratio = 0;
  size_t keys = 0;
  size_t segments_before = 0;
  size_t segments_after = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
  uint64_t records_removed = 0;
};

class LogCleaner {
 public:
  using LogsFn = std::function<std::vector<std::shared_ptr<PartitionLog>>()>;
  // Test hook: called with a step name ("staged", and PartitionLog::swap_in_cleaned's) between
  // the steps of a pass; an error stops the pass right there, as a crash would.
  using StepHook = std::function<Status(std::string_view step)>;

  LogCleaner(CleanerOptions options, Clock& clock, LogsFn logs);
  ~LogCleaner();
  LogCleaner(const LogCleaner&) = delete;
  LogCleaner& operator=(const LogCleaner&) = delete;

  void start();
  void stop();

  // One pass over the log that most needs one. nullopt when none does.
  Result<std::optional<CleanStats>> clean_filthiest();
  // One pass over `log` if plan_cleaning() says it needs one.
  Result<std::optional<CleanStats>> clean(PartitionLog& log);
  void set_step_hook(StepHook hook) { hook_ = std::move(hook); }

 private:
  class Throttler;
  void loop();

  const CleanerOptions options_;
  Clock& clock_;
  const LogsFn logs_;
  std::unique_ptr<OffsetMap> map_;
  std::unique_ptr<Throttler> throttler_;
  StepHook hook_;
  std::set<std::string> failed_;  // partitions skipped after a failed pass

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ferry::storage
