#include "storage/log_cleaner.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "common/file_util.h"
#include "common/log.h"
#include "storage/compaction.h"

namespace ferry::storage {

namespace fs = std::filesystem;
namespace L = batch_layout;

// Keeps the cleaner's average I/O under a rate (Kafka's Throttler): counts bytes read and
// written, and every ~100 ms sleeps off whatever ran ahead of the rate.
class LogCleaner::Throttler {
 public:
  Throttler(double bytes_per_second, Clock& clock) : rate_(bytes_per_second), clock_(clock) {}

  void account(uint64_t bytes) {
    const int64_t now = clock_.monotonic_ms();
    if (window_start_ < 0) window_start_ = now;
    bytes_ += bytes;
    const int64_t elapsed = now - window_start_;
    if (elapsed < 100 && bytes_ < 1u << 20) return;
    const double allowed_ms = static_cast<double>(bytes_) * 1000.0 / rate_;
    if (allowed_ms > static_cast<double>(elapsed)) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(static_cast<int64_t>(allowed_ms) - elapsed));
    }
    window_start_ = clock_.monotonic_ms();
    bytes_ = 0;
  }

 private:
  const double rate_;
  Clock& clock_;
  int64_t window_start_ = -1;
  uint64_t bytes_ = 0;
};

namespace {

constexpr size_t kReadWindow = 1u << 20;
constexpr size_t kWriteChunk = 1u << 20;

// Calls fn(batch) for every batch of `seg`, in order, each checked as a read would check it
// (CRC, header, epoch). `on_read` gets the bytes read.
Status for_each_batch(const Segment& seg, const LeaderEpochCache& epochs,
                      const std::function<Status(RecordBatchView)>& fn,
                      const std::function<void(uint64_t)>& on_read) {
  const uint64_t size = seg.size();
  const auto file = seg.file();
  const auto truncated = [&](uint64_t at) {
    return Error(ErrorCode::CORRUPT_MESSAGE,
                 fmt::format("{}: bad batch length at byte {}", file->path().string(), at));
  };
  Bytes buf;
  uint64_t pos = 0;
  while (pos < size) {
    size_t have = static_cast<size_t>(std::min<uint64_t>(kReadWindow, size - pos));
    if (have < L::kLogOverhead) return truncated(pos);
    buf.resize(have);
    FERRY_TRY(file->read_exact(pos, buf.data(), have));
    on_read(have);
    // A batch larger than the window is read whole.
    const uint64_t first_size =
        static_cast<uint32_t>(load_be32(buf.data() + L::kBatchLength)) + L::kLogOverhead;
    if (first_size > have) {
      if (pos + first_size > size || first_size < L::kHeaderSize) return truncated(pos);
      have = static_cast<size_t>(first_size);
      buf.resize(have);
      FERRY_TRY(file->read_exact(pos, buf.data(), have));
      on_read(have);
    }
    size_t at = 0;
    while (at + L::kLogOverhead <= have) {
      const uint64_t batch_size =
          static_cast<uint32_t>(load_be32(buf.data() + at + L::kBatchLength)) + L::kLogOverhead;
      if (at + batch_size > have) break;  // continues in the next window
      FERRY_ASSIGN_OR_RETURN(const RecordBatchView batch,
                             parse_batch_header(ByteSpan(buf).subspan(at, batch_size)));
      Status ok = check_stored_batch(batch, std::nullopt, epochs, /*gaps=*/true);
      if (!ok.ok()) {
        return ok.error().with_context(fmt::format("{} byte {}", file->path().string(), pos + at));
      }
      FERRY_TRY(fn(batch));
      at += batch_size;
    }
    if (at == 0) return truncated(pos);
    pos += at;
  }
  return ok_status();
}

std::vector<CleanableSegment> describe(const std::vector<std::shared_ptr<Segment>>& segments) {
  std::vector<CleanableSegment> out;
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& s = segments[i];
    const int64_t ts = s->max_timestamp();
    out.push_back({s->base_offset(),
                   i + 1 < segments.size() ? segments[i + 1]->base_offset() : s->next_offset(),
                   s->size(), ts != kNoTimestamp ? ts : s->last_modified_ms()});
  }
  return out;
}

}  // namespace

LogCleaner::LogCleaner(CleanerOptions options, Clock& clock, LogsFn logs)
    : options_(options),
      clock_(clock),
      logs_(std::move(logs)),
      map_(std::make_unique<OffsetMap>(options.dedupe_buffer_bytes, options.load_factor)),
      throttler_(std::make_unique<Throttler>(options.max_io_bytes_per_second, clock)) {}

LogCleaner::~LogCleaner() {
  stop();
}

void LogCleaner::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { loop(); });
}

void LogCleaner::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LogCleaner::loop() {
  // Below the request threads: compaction is background work (the throttle bounds its disk use,
  // this its CPU share).
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    auto cleaned = clean_filthiest();
    if (!cleaned.ok()) logger("storage")->error("log cleaner: {}", cleaned.error().to_string());
    if (cleaned.ok() && *cleaned) continue;  // more may be waiting
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(options_.backoff_ms), [&] { return stop_; });
  }
}

Result<std::optional<CleanStats>> LogCleaner::clean_filthiest() {
  const int64_t now = clock_.wall_ms();
  std::shared_ptr<PartitionLog> best;
  std::optional<CleaningPlan> best_plan;
  for (const auto& log : logs_()) {
    if (failed_.count(log->topic_partition().dir_name())) continue;
    auto view = log->cleaner_view();
    if (!view.ok()) continue;  // closed or failed: not the cleaner's business
    const auto plan = plan_cleaning(describe(view->segments), view->config, now, view->checkpoint,
                                    view->log_start, view->stable_end);
    if (!plan) continue;
    const auto rank = [](const CleaningPlan& p) { return std::make_pair(p.forced, p.dirty_ratio); };
    if (!best_plan || rank(*plan) > rank(*best_plan)) {
      best = log;
      best_plan = plan;
    }
  }
  if (!best) return std::optional<CleanStats>();
  auto cleaned = clean(*best);
  if (!cleaned.ok() && cleaned.code() != ErrorCode::KAFKA_STORAGE_ERROR) {
    // Corrupt data, or a batch the map cannot hold: retrying would fail the same way.
    failed_.insert(best->topic_partition().dir_name());
    return cleaned.error().with_context(
        fmt::format("[{}] cleaning stopped until restart", best->topic_partition().dir_name()));
  }
  return cleaned;
}

Result<std::optional<CleanStats>> LogCleaner::clean(PartitionLog& log) {
  const int64_t now = clock_.wall_ms();
  FERRY_ASSIGN_OR_RETURN(const PartitionLog::CleanerView view, log.cleaner_view());
  const auto metas = describe(view.segments);
  const auto plan =
      plan_cleaning(metas, view.config, now, view.checkpoint, view.log_start, view.stable_end);
  if (!plan) return std::optional<CleanStats>();
  CleanStats stats;
  stats.tp = log.topic_partition();
  stats.first_dirty = plan->first_dirty;
  stats.dirty_ratio = plan->dirty_ratio;
  const auto on_read = [&](uint64_t n) {
    stats.bytes_read += n;
    throttler_->account(n);
  };

  // 1. The offset map over the dirty part, stopping where it fills (KAFKA-3894).
  map_->clear();
  Offset map_end = plan->first_dirty - 1;
  bool full = false;
  for (size_t i = 0; i + 1 < metas.size() && !full; ++i) {
    if (metas[i].end_offset <= plan->first_dirty) continue;
    if (metas[i].base_offset >= plan->first_uncleanable) break;
    FERRY_TRY(for_each_batch(
        *view.segments[i], view.epochs,
        [&](RecordBatchView batch) -> Status {
          if (full || batch.last_offset() < plan->first_dirty) return ok_status();
          if (batch.is_control()) {
            map_end = batch.last_offset();
            return ok_status();
          }
          FERRY_ASSIGN_OR_RETURN(const DecodedRecords decoded,
                                 decode_records(batch, view.config.max_decompressed_bytes));
          for (const Record& r : decoded.records) {
            if (r.offset < plan->first_dirty || !r.key) continue;
            if (!map_->put(*r.key, r.offset)) {
              full = true;
              return ok_status();
            }
          }
          map_end = batch.last_offset();
          return ok_status();
        },
        on_read));
    if (!full) map_end = metas[i].end_offset - 1;
  }
  if (map_end < plan->first_dirty) {
    return Error(ErrorCode::INVALID_CONFIG,
                 fmt::format("one batch at offset {} holds more keys than the cleaner's map ({}): "
                             "raise log.cleaner.dedupe.buffer.size",
                             plan->first_dirty, map_->capacity()));
  }
  stats.keys = map_->size();
  stats.end = map_end + 1;

  // 2. Rewrite every segment from the log start through the one holding map_end, group by group.
  std::vector<CleanableSegment> to_clean;
  for (size_t i = 0; i + 1 < metas.size() && metas[i].base_offset <= map_end; ++i) {
    to_clean.push_back(metas[i]);
  }
  const fs::path staging = log.cleaning_dir();
  // Leftovers of a pass abandoned before its commit point (never after one: a log whose swap
  // failed half-way is failed until open() finishes the swap).
  std::error_code ec;
  if (!fs::exists(log.dir() / kCleanerSwapFile, ec)) fs::remove_all(staging, ec);
  // mkdir, not create_directories: a partition deleted meanwhile must not come back.
  if (::mkdir(staging.c_str(), 0755) != 0 && errno != EEXIST) {
    return io_error("mkdir", staging, errno);
  }
  FERRY_TRY(fsync_directory(log.dir()));
  for (const auto& group : group_segments(to_clean, view.config.segment_bytes)) {
    std::vector<std::shared_ptr<Segment>> old;
    int64_t mtime = 0;
    for (const size_t i : group) {
      old.push_back(view.segments[i]);
      stats.bytes_before += view.segments[i]->size();
      mtime = std::max(mtime, view.segments[i]->last_modified_ms());
    }
    FERRY_ASSIGN_OR_RETURN(auto fresh, Segment::create(staging, old.front()->base_offset(), now));
    fresh->set_allow_gaps(true);
    Bytes out;
    const auto write_out = [&]() -> Status {
      if (out.empty()) return ok_status();
      BatchValidationOptions shape;
      shape.validate_records = false;
      shape.allow_compacted = true;
      FERRY_ASSIGN_OR_RETURN(const auto infos, validate_batches(out, shape));
      FERRY_TRY(fresh->append(out, infos, view.config.index_interval_bytes, now));
      throttler_->account(out.size());
      stats.bytes_after += out.size();
      out.clear();
      return ok_status();
    };
    for (const auto& seg : old) {
      FERRY_TRY(for_each_batch(
          *seg, view.epochs,
          [&](RecordBatchView batch) -> Status {
            FERRY_ASSIGN_OR_RETURN(
                const BatchFilterResult r,
                filter_batch(batch, *map_, map_end, now, view.config.delete_retention_ms,
                             view.config.max_decompressed_bytes));
            stats.records_removed += r.records_removed;
            if (r.kind == BatchFilterResult::Kind::kDrop) return ok_status();
            const ByteSpan bytes = r.kind == BatchFilterResult::Kind::kKeepAsIs
                                       ? batch.bytes()
                                       : ByteSpan(r.rewritten);
            out.insert(out.end(), bytes.begin(), bytes.end());
            return out.size() >= kWriteChunk ? write_out() : ok_status();
          },
          on_read));
    }
    FERRY_TRY(write_out());
    FERRY_TRY(fresh->seal());
    // The cleaned segment keeps its sources' age (retention.ms falls back on it).
    const struct timespec times[2] = {{mtime / 1000, (mtime % 1000) * 1'000'000},
                                      {mtime / 1000, (mtime % 1000) * 1'000'000}};
    ::futimens(fresh->file()->fd(), times);
    FERRY_TRY(fresh->sync_log());
    FERRY_TRY(fresh->sync_indexes());
    fresh.reset();
    FERRY_TRY(fsync_directory(staging));
    if (hook_) FERRY_TRY(hook_("staged"));
    FERRY_TRY(log.swap_in_cleaned(old, view.truncations, hook_));
    stats.segments_before += old.size();
    ++stats.segments_after;
  }
  // 3. Where the next pass starts.
  FERRY_TRY(log.set_cleaner_checkpoint(stats.end));
  logger("storage")->info(
      "[{}] cleaned offsets [{}, {}) with {} keys: {} segment(s) of {} bytes -> {} of {} "
      "bytes, {} records removed (dirty ratio {:.2f})",
      stats.tp.dir_name(), stats.first_dirty, stats.end, stats.keys, stats.segments_before,
      stats.bytes_before, stats.segments_after, stats.bytes_after, stats.records_removed,
      stats.dirty_ratio);
  return std::optional<CleanStats>(stats);
}

}  // namespace ferry::storage
