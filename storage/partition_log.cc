#include "storage/partition_log.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/file_util.h"
#include "common/log.h"
#include "storage/retention.h"

namespace ferry::storage {

namespace fs = std::filesystem;

Result<Bytes> FileSlice::copy_to_memory() const {
  Bytes out(length);
  if (length == 0) return out;
  FERRY_TRY(file->read_exact(position, out.data(), out.size()));
  return out;
}

PartitionLog::PartitionLog(fs::path dir, TopicPartition tp, const LogConfig& config, Clock& clock)
    : dir_(std::move(dir)), tp_(std::move(tp)), clock_(clock), config_(config) {}

PartitionLog::~PartitionLog() = default;

std::string PartitionLog::topic_id() const {
  std::lock_guard lock(mu_);
  return topic_id_;
}

Status PartitionLog::set_topic_id(std::string_view topic_id) {
  FERRY_TRY(write_partition_metadata(dir_, topic_id));
  std::lock_guard lock(mu_);
  topic_id_ = std::string(topic_id);
  return ok_status();
}

Status PartitionLog::check_usable_locked() const {
  if (failed_) return *failed_;
  if (closed_) {
    return Error(ErrorCode::KAFKA_STORAGE_ERROR, fmt::format("log {} is closed", dir_.string()));
  }
  return ok_status();
}

Status PartitionLog::mark_failed(const Error& error) {
  std::lock_guard lock(mu_);
  if (!failed_) {
    logger("storage")->error("[{}] log failed, refusing further operations: {}", tp_.dir_name(),
                             error.to_string());
    failed_ = Error(ErrorCode::KAFKA_STORAGE_ERROR,
                    fmt::format("log {} failed: {}", tp_.dir_name(), error.to_string()));
  }
  return *failed_;
}

// ---- appends --------------------------------------------------------------------------------

Status PartitionLog::persist_epochs_locked() {
  return write_file_atomically(dir_ / kLeaderEpochCheckpointFile, epochs_.serialize());
}

Status PartitionLog::roll_locked(int64_t now_ms) {
  const auto& active = segments_.back();
  FERRY_TRY(active->seal());
  FERRY_ASSIGN_OR_RETURN(auto next, Segment::create(dir_, active->next_offset(), now_ms));
  configure_segment_locked(*next);
  logger("storage")->debug("[{}] rolled segment at offset {}", tp_.dir_name(), next->base_offset());
  segments_.push_back(std::move(next));
  // A new file's directory entry is durable only once the directory is fsynced: the next
  // flush() does that before durable_end_offset() may pass into this segment.
  dir_dirty_ = true;
  return ok_status();
}

Status PartitionLog::maybe_roll_locked(uint64_t bytes, int64_t record_count, int64_t now_ms) {
  const auto& active = segments_.back();
  // Never roll an empty segment: the new one would have the same base offset, so the same files.
  if (active->empty()) return ok_status();
  const uint64_t size = active->size();
  // Besides segment.bytes: index entries hold int32 positions and int32 offsets relative to the
  // base, so a segment must stay within both (Kafka's LogSegment.shouldRoll checks offsets too).
  const bool full = size + bytes > static_cast<uint64_t>(config_.segment_bytes) ||
                    size + bytes > static_cast<uint64_t>(INT32_MAX);
  // A segment reopened after a restart has no first-append time (-1) until its next append:
  // segment.ms then counts from there, rather than rolling every reopened segment at once.
  // A compacted log rolls by max.compaction.lag.ms too, or its newest records would never
  // become cleanable (Kafka's LogConfig.maxSegmentMs).
  const int64_t segment_ms = config_.compact_policy
                                 ? std::min(config_.segment_ms, config_.max_compaction_lag_ms)
                                 : config_.segment_ms;
  const bool old =
      active->first_append_ms() >= 0 && now_ms - active->first_append_ms() >= segment_ms;
  const bool offsets_overflow =
      (active->next_offset() + (record_count - 1)) - active->base_offset() > INT32_MAX;
  if (full || old || offsets_overflow) return roll_locked(now_ms);
  return ok_status();
}

Status PartitionLog::write_batches_locked(ByteSpan data, const std::vector<BatchInfo>& infos,
                                          int64_t now_ms) {
  Status written = segments_.back()->append(data, infos, config_.index_interval_bytes, now_ms);
  if (!written.ok() && written.error().message().find("could not cut") != std::string::npos) {
    // The partial write could not be rolled back: the log's tail is unknown.
    if (!failed_) failed_ = Error(ErrorCode::KAFKA_STORAGE_ERROR, written.error().message());
  }
  return written;
}

Result<AppendResult> PartitionLog::finish_append_locked(const std::vector<BatchInfo>& infos,
                                                        uint64_t bytes, int64_t append_time) {
  AppendResult result;
  result.base_offset = infos.front().base_offset;
  result.last_offset = infos.back().last_offset;
  result.log_append_time_ms = append_time;
  result.log_start_offset = log_start_;
  result.bytes = bytes;
  return result;
}

namespace {
// Kafka's LogValidator rules that need the records: a compacted topic only takes records with
// keys (the cleaner could never tell which value of a keyless record is the latest), and with
// CreateTime every timestamp must lie within [now - before.max, now + after.max] (KIP-937).
// Decodes only when a rule applies.
Status check_records(ByteSpan batches, const std::vector<BatchInfo>& infos, const LogConfig& config,
                     int64_t now_ms) {
  const bool bounded =
      config.message_timestamp_type == TimestampType::kCreateTime &&
      (config.before_bound_ms() < INT64_MAX || config.after_bound_ms() < INT64_MAX);
  if (!config.compact_policy && !bounded) return ok_status();
  // Both bounds are >= 0 and the clock is positive: only the sum can overflow (saturate it).
  const int64_t earliest = now_ms - config.before_bound_ms();
  const int64_t latest =
      config.after_bound_ms() > INT64_MAX - now_ms ? INT64_MAX : now_ms + config.after_bound_ms();
  for (const BatchInfo& b : infos) {
    FERRY_ASSIGN_OR_RETURN(const DecodedRecords decoded,
                           decode_records(RecordBatchView(batches.subspan(b.position, b.size)),
                                          config.max_decompressed_bytes));
    for (size_t i = 0; i < decoded.records.size(); ++i) {
      const Record& r = decoded.records[i];
      if (config.compact_policy && !r.key) {
        return Error(ErrorCode::INVALID_RECORD,
                     "Compacted topic cannot accept message without key in topic partition");
      }
      if (bounded && r.timestamp != kNoTimestamp &&
          (r.timestamp < earliest || r.timestamp > latest)) {
        return Error(ErrorCode::INVALID_TIMESTAMP,
                     fmt::format("Timestamp {} of message with offset {} is out of range. The "
                                 "timestamp should be within [{}, {}]",
                                 r.timestamp, i, earliest, latest));
      }
    }
  }
  return ok_status();
}

Status check_sizes(const std::vector<BatchInfo>& infos, const LogConfig& config) {
  for (const BatchInfo& b : infos) {
    if (b.size > static_cast<uint64_t>(config.max_message_bytes)) {
      return Error(ErrorCode::MESSAGE_TOO_LARGE,
                   fmt::format("batch of {} bytes exceeds max.message.bytes {}", b.size,
                               config.max_message_bytes));
    }
    if (b.size > static_cast<uint64_t>(config.segment_bytes)) {
      return Error(
          ErrorCode::RECORD_LIST_TOO_LARGE,
          fmt::format("batch of {} bytes exceeds segment.bytes {}", b.size, config.segment_bytes));
    }
  }
  return ok_status();
}
}  // namespace

Result<AppendResult> PartitionLog::append_as_leader(std::span<uint8_t> batches,
                                                    LeaderEpoch leader_epoch) {
  LogConfig config;
  {
    std::lock_guard lock(mu_);
    FERRY_TRY(check_usable_locked());
    config = config_;
  }
  BatchValidationOptions options;
  options.max_decompressed_bytes = config.max_decompressed_bytes;
  options.validate_compressed = config.validate_compressed_records;
  FERRY_ASSIGN_OR_RETURN(std::vector<BatchInfo> infos, validate_batches(batches, options));
  for (const BatchInfo& b : infos) {
    if (b.is_control) {
      return Error(ErrorCode::INVALID_RECORD, "clients are not allowed to write control batches");
    }
  }
  FERRY_TRY(check_records(batches, infos, config, clock_.wall_ms()));
  FERRY_TRY(check_sizes(infos, config));
  if (leader_epoch.value() < 0) {
    return Error(ErrorCode::INVALID_REQUEST, "leader append needs a leader epoch >= 0");
  }
  const int64_t now_ms = clock_.wall_ms();
  int64_t append_time = kNoTimestamp;
  if (config.message_timestamp_type == TimestampType::kLogAppendTime) {
    append_time = now_ms;
    for (BatchInfo& b : infos) {
      set_log_append_time(batches.subspan(b.position, b.size), now_ms);
      b.max_timestamp = now_ms;
    }
  }
  int64_t records = 0;
  for (const BatchInfo& b : infos)
    records += b.last_offset - b.base_offset + 1;

  std::lock_guard lock(mu_);
  FERRY_TRY(check_usable_locked());
  const auto latest = epochs_.latest();
  if (latest && latest->epoch > leader_epoch) {
    return Error(ErrorCode::FENCED_LEADER_EPOCH,
                 fmt::format("append with epoch {} but the log already has epoch {}", leader_epoch,
                             latest->epoch));
  }
  FERRY_TRY(maybe_roll_locked(batches.size(), records, now_ms));
  Offset next = segments_.back()->next_offset();
  // KIP-101, as Kafka's UnifiedLog.append: the entry reaches disk before its epoch's first
  // batch, so a crash may leave an entry past the log end (trimmed at open), never a batch
  // without its entry.
  if (!latest || latest->epoch != leader_epoch) {
    const LeaderEpochCache before = epochs_;
    epochs_.assign(leader_epoch, next);
    Status persisted = persist_epochs_locked();
    if (!persisted.ok()) {
      epochs_ = before;
      return std::move(persisted).error();
    }
  }
  for (BatchInfo& b : infos) {
    const auto span = batches.subspan(b.position, b.size);
    const int64_t count = b.last_offset - b.base_offset + 1;
    set_base_offset(span, next);
    set_partition_leader_epoch(span, leader_epoch);
    b.base_offset = next;
    b.last_offset = next + (count - 1);
    b.leader_epoch = leader_epoch;
    next = b.last_offset + 1;
  }
  FERRY_TRY(write_batches_locked(batches, infos, now_ms));
  return finish_append_locked(infos, batches.size(), append_time);
}

Result<AppendResult> PartitionLog::append_as_follower(ByteSpan batches) {
  BatchValidationOptions options;
  // The leader validated the records (Kafka's appendAsFollower skips LogValidator too); the
  // header and CRC checks still catch damage on the way.
  options.validate_records = false;
  options.allow_compacted = true;  // a compacted leader's batches (CRC still checked)
  FERRY_ASSIGN_OR_RETURN(std::vector<BatchInfo> infos, validate_batches(batches, options));
  const int64_t now_ms = clock_.wall_ms();
  std::lock_guard lock(mu_);
  FERRY_TRY(check_usable_locked());
  FERRY_TRY(check_sizes(infos, config_));
  Offset expected = segments_.back()->next_offset();
  LeaderEpochCache epochs = epochs_;
  int64_t records = 0;
  for (const BatchInfo& b : infos) {
    // A compacted leader's log has gaps (GROUPS.md 5.9): offsets then only have to increase.
    if (allow_gaps_ ? b.base_offset < expected : b.base_offset != expected) {
      return Error(ErrorCode::OFFSET_OUT_OF_RANGE,
                   fmt::format("follower append at offset {} but the log end is {}", b.base_offset,
                               expected));
    }
    if (b.leader_epoch.value() < 0) {
      // Leaders stamp every batch (append_as_leader); one without an epoch did not come from a
      // Ferry or Kafka leader of message format v2.
      return Error(ErrorCode::CORRUPT_MESSAGE,
                   fmt::format("batch at {} carries no leader epoch", b.base_offset));
    }
    const auto latest = epochs.latest();
    if (latest && b.leader_epoch < latest->epoch) {
      return Error(ErrorCode::CORRUPT_MESSAGE,
                   fmt::format("batch at {} has epoch {} below the log's latest epoch {}",
                               b.base_offset, b.leader_epoch, latest->epoch));
    }
    epochs.assign(b.leader_epoch, b.base_offset);
    expected = b.last_offset + 1;
    records += b.last_offset - b.base_offset + 1;
  }
  FERRY_TRY(maybe_roll_locked(batches.size(), records, now_ms));
  if (epochs.entries() != epochs_.entries()) {
    const LeaderEpochCache before = epochs_;
    epochs_ = epochs;
    Status persisted = persist_epochs_locked();
    if (!persisted.ok()) {
      epochs_ = before;
      return std::move(persisted).error();
    }
  }
  FERRY_TRY(write_batches_locked(batches, infos, now_ms));
  return finish_append_locked(infos, batches.size(), kNoTimestamp);
}

// ---- reads ----------------------------------------------------------------------------------

Offset PartitionLog::log_start_offset() const {
  std::lock_guard lock(mu_);
  return log_start_;
}

Offset PartitionLog::log_end_offset() const {
  std::lock_guard lock(mu_);
  return segments_.back()->next_offset();
}

Result<ReadResult> PartitionLog::read(Offset offset, uint64_t max_bytes,
                                      Offset max_offset_exclusive) const {
  std::shared_ptr<Segment> seg;
  uint64_t limit = 0;
  LeaderEpochCache epochs;
  ReadResult result;
  {
    std::lock_guard lock(mu_);
    FERRY_TRY(check_usable_locked());
    result.log_start_offset = log_start_;
    result.log_end_offset = segments_.back()->next_offset();
    if (offset < log_start_ || offset > result.log_end_offset) {
      return Error(ErrorCode::OFFSET_OUT_OF_RANGE,
                   fmt::format("offset {} is outside [{}, {}] of {}", offset, log_start_,
                               result.log_end_offset, tp_.dir_name()));
    }
    if (offset == result.log_end_offset || offset >= max_offset_exclusive) return result;
    auto it = std::upper_bound(
        segments_.begin(), segments_.end(), offset,
        [](Offset o, const std::shared_ptr<Segment>& s) { return o < s->base_offset(); });
    FERRY_ASSERT(it != segments_.begin(), "offset {} below the first segment", offset);
    --it;
    // Past a segment's last batch: on to the next one (several, when compaction emptied some).
    while (offset >= (*it)->next_offset() || (*it)->empty()) {
      // Offsets past a corrupt tail were lost: moving on to the next segment would hand the
      // reader a silent gap.
      if ((*it)->corrupt_tail()) {
        return Error(ErrorCode::CORRUPT_MESSAGE,
                     fmt::format("offset {} of {} was lost to corruption", offset, tp_.dir_name()));
      }
      if (++it == segments_.end()) return result;
    }
    seg = *it;
    limit = seg->size();
    epochs = epochs_;
  }
  auto slice = seg->read(offset, max_bytes, max_offset_exclusive, limit, epochs);
  if (!slice.ok()) {
    if (slice.code() == ErrorCode::CORRUPT_MESSAGE) ++read_corruptions_;
    return slice.error();
  }
  if (slice->length > 0) {
    result.slice = FileSlice{seg->file(), slice->position, slice->length};
    result.first_offset = slice->first_offset;
    result.last_offset = slice->last_offset;
  }
  return result;
}

Result<std::optional<TimestampOffset>> PartitionLog::offset_for_timestamp(int64_t target) const {
  std::vector<std::shared_ptr<Segment>> segments;
  std::vector<uint64_t> limits;
  LeaderEpochCache epochs;
  Offset start;
  {
    std::lock_guard lock(mu_);
    FERRY_TRY(check_usable_locked());
    segments = segments_;
    for (const auto& s : segments)
      limits.push_back(s->size());
    epochs = epochs_;
    start = log_start_;
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i]->max_timestamp() < target) continue;
    if (i + 1 < segments.size() && segments[i + 1]->base_offset() <= start) continue;
    FERRY_ASSIGN_OR_RETURN(auto found,
                           segments[i]->find_by_timestamp(target, start, limits[i], epochs));
    if (found) return found;
  }
  return std::optional<TimestampOffset>();
}

Result<std::optional<TimestampOffset>> PartitionLog::offset_of_max_timestamp() const {
  std::shared_ptr<Segment> best;
  uint64_t limit = 0;
  LeaderEpochCache epochs;
  {
    std::lock_guard lock(mu_);
    FERRY_TRY(check_usable_locked());
    for (const auto& s : segments_) {
      if (s->max_timestamp() != kNoTimestamp &&
          (!best || s->max_timestamp() > best->max_timestamp())) {
        best = s;
      }
    }
    if (!best) return std::optional<TimestampOffset>();
    limit = best->size();
    epochs = epochs_;
  }
  return best->find_max_timestamp(limit, epochs);
}

LogStats PartitionLog::stats() const {
  std::lock_guard lock(mu_);
  LogStats s;
  for (const auto& seg : segments_)
    s.size_bytes += seg->size();
  s.segment_count = segments_.size();
  s.log_start_offset = log_start_;
  s.log_end_offset = segments_.back()->next_offset();
  s.durable_end_offset = durable_end_offset();
  s.corruption_events = corruption_events_ + read_corruptions_.load();
  return s;
}

std::vector<std::shared_ptr<Segment>> PartitionLog::segments_for_test() const {
  std::lock_guard lock(mu_);
  return segments_;
}

// ---- epochs and config ----------------------------------------------------------------------

std::optional<EpochEntry> PartitionLog::latest_epoch() const {
  std::lock_guard lock(mu_);
  return epochs_.latest();
}

EpochEndOffset PartitionLog::end_offset_for_epoch(LeaderEpoch epoch) const {
  std::lock_guard lock(mu_);
  return epochs_.end_offset_for(epoch, segments_.back()->next_offset());
}

std::vector<EpochEntry> PartitionLog::epoch_entries() const {
  std::lock_guard lock(mu_);
  return epochs_.entries();
}

LogConfig PartitionLog::config() const {
  std::lock_guard lock(mu_);
  return config_;
}

Status PartitionLog::set_config(const LogConfig& config) {
  FERRY_TRY(config.validate());
  std::lock_guard lock(mu_);
  config_ = config;
  segments_.back()->set_index_interval_bytes(config.index_interval_bytes);
  if (config.compact_policy) FERRY_TRY(enable_gaps_locked());
  return ok_status();
}

void PartitionLog::set_high_watermark(Offset high_watermark) {
  std::lock_guard lock(mu_);
  high_watermark_ = std::min(high_watermark, segments_.back()->next_offset());
}

Offset PartitionLog::high_watermark() const {
  std::lock_guard lock(mu_);
  return high_watermark_;
}

Result<Offset> PartitionLog::assign_leader_epoch(LeaderEpoch epoch) {
  std::lock_guard lock(mu_);
  FERRY_TRY(check_usable_locked());
  const auto latest = epochs_.latest();
  if (latest && latest->epoch > epoch) {
    return Error(
        ErrorCode::FENCED_LEADER_EPOCH,
        fmt::format("cannot lead in epoch {}: the log already has epoch {}", epoch, latest->epoch));
  }
  if (latest && latest->epoch == epoch) return latest->start_offset;
  const Offset start = segments_.back()->next_offset();
  const LeaderEpochCache before = epochs_;
  epochs_.assign(epoch, start);
  if (Status persisted = persist_epochs_locked(); !persisted.ok()) {
    epochs_ = before;
    return std::move(persisted).error();
  }
  return start;
}

}  // namespace ferry::storage
