// PartitionLog: creation, opening and crash recovery.
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/file_util.h"
#include "common/log.h"
#include "common/parse.h"
#include "storage/partition_log.h"

namespace ferry::storage {

namespace fs = std::filesystem;

namespace {

// Base offsets of the "<20 digits>.log" files in `dir`, ascending.
Result<std::vector<Offset>> list_segments(const fs::path& dir) {
  std::vector<Offset> bases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != 24 || name.substr(20) != ".log") continue;
    if (!std::all_of(name.begin(), name.begin() + 20,
                     [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    // 20 digits can spell more than INT64_MAX: such a file is not a segment Ferry wrote.
    const auto base = parse_integer<int64_t>(std::string_view(name).substr(0, 20));
    if (!base) {
      logger("storage")->warn("{}: ignoring {} (its base offset is out of range)", dir.string(),
                              name);
      continue;
    }
    bases.push_back(Offset(*base));
  }
  if (ec) return io_error("list", dir, ec.value());
  std::sort(bases.begin(), bases.end());
  return bases;
}

void remove_temp_files(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".tmp") fs::remove(entry.path(), ec);
  }
}

}  // namespace

Result<std::shared_ptr<PartitionLog>> PartitionLog::create(const fs::path& log_dir,
                                                           const TopicPartition& tp,
                                                           std::string_view topic_id,
                                                           const LogConfig& config, Clock& clock) {
  FERRY_TRY(config.validate());
  const fs::path dir = log_dir / tp.dir_name();
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    return Error(ErrorCode::TOPIC_ALREADY_EXISTS,
                 fmt::format("partition directory {} already exists", dir.string()));
  }
  FERRY_TRY(create_directories_durably(dir));
  if (!topic_id.empty()) FERRY_TRY(write_partition_metadata(dir, topic_id));
  std::shared_ptr<PartitionLog> log(new PartitionLog(dir, tp, config, clock));
  FERRY_ASSIGN_OR_RETURN(auto segment, Segment::create(dir, Offset(0), clock.wall_ms()));
  log->configure_segment_locked(*segment);
  log->segments_.push_back(std::move(segment));
  if (config.compact_policy) FERRY_TRY(log->enable_gaps_locked());
  log->topic_id_ = std::string(topic_id);
  // An empty epoch checkpoint from the start: without one, open() would scan every segment to
  // rebuild the cache.
  FERRY_TRY(log->persist_epochs_locked());
  FERRY_TRY(fsync_directory(dir));
  logger("storage")->info("[{}] created in {}", tp.dir_name(), log_dir.string());
  return log;
}

Result<std::shared_ptr<PartitionLog>> PartitionLog::open(const fs::path& dir,
                                                         const LogConfig& config, Clock& clock,
                                                         RecoveryReport* report) {
  FERRY_TRY(config.validate());
  const auto tp = TopicPartition::parse_dir_name(dir.filename().string());
  if (!tp) {
    return Error(ErrorCode::KAFKA_STORAGE_ERROR,
                 fmt::format("{} is not a <topic>-<partition> directory", dir.string()));
  }
  std::shared_ptr<PartitionLog> log(new PartitionLog(dir, *tp, config, clock));
  RecoveryReport local;
  Status recovered = log->recover(report ? *report : local);
  if (!recovered.ok())
    return recovered.error().with_context(fmt::format("opening {}", dir.string()));
  return log;
}

Status PartitionLog::recover(RecoveryReport& report) {
  remove_temp_files(dir_);
  FERRY_TRY(finish_interrupted_swap());
  std::error_code exists_ec;
  allow_gaps_ = fs::exists(dir_ / kCleanerOffsetFile, exists_ec);
  FERRY_ASSIGN_OR_RETURN(const auto topic_id, read_partition_metadata(dir_));
  topic_id_ = topic_id.value_or("");
  auto start = read_offset_checkpoint(dir_ / kLogStartOffsetFile, tp_);
  auto point = read_offset_checkpoint(dir_ / kRecoveryPointFile, tp_);
  if (!start.ok() || !point.ok()) {
    logger("storage")->warn("[{}] unreadable offset checkpoint; scanning the whole log",
                            tp_.dir_name());
  }
  bool epochs_missing = true;
  std::error_code ec;
  if (fs::exists(dir_ / kLeaderEpochCheckpointFile, ec)) {
    auto text = read_whole_file(dir_ / kLeaderEpochCheckpointFile);
    auto parsed =
        text.ok() ? LeaderEpochCache::parse(*text) : Result<LeaderEpochCache>(text.error());
    if (parsed.ok()) {
      epochs_ = std::move(*parsed);
      epochs_missing = false;
    } else {
      logger("storage")->warn("[{}] {}; rebuilding the epoch cache from the log", tp_.dir_name(),
                              parsed.error().to_string());
    }
  }
  const auto marker = read_clean_shutdown_marker(dir_);
  recovery_point_ = point.ok() && point->has_value() ? **point : Offset(-1);
  FERRY_TRY(recover_segments(marker, epochs_missing, report));

  log_start_ = std::max(start.ok() ? start->value_or(Offset(0)) : Offset(0),
                        segments_.front()->base_offset());
  FERRY_TRY(drop_segments_below_start(report));
  const Offset leo = segments_.back()->next_offset();
  // Entries are persisted before their first batch, so a crash can leave some at or past the
  // log end: drop them (Kafka's LogLoader truncates the cache to the log end too).
  if (epochs_.truncate_from_end(leo) || epochs_missing) FERRY_TRY(persist_epochs_locked());
  if (epochs_.truncate_from_start(log_start_)) FERRY_TRY(persist_epochs_locked());
  // Kept bytes may sit only in the page cache (a process crash keeps them) and recovery rewrote
  // indexes and files: fsync all of it before durable_end_offset() is set to the log end.
  for (const auto& s : segments_) {
    if (s->synced_size() < s->size() || s->indexes_dirty()) {
      FERRY_TRY(s->sync_log());
      FERRY_TRY(s->sync_indexes());
      s->mark_synced(s->size());
    }
  }
  FERRY_TRY(fsync_directory(dir_));
  durable_.store(leo.value());
  durable_segment_base_ = segments_.back()->base_offset();
  // The HW this replica last knew (replication-offset-checkpoint), within [log start, log end].
  auto hw = read_offset_checkpoint(dir_ / kReplicationOffsetFile, tp_);
  if (!hw.ok()) {
    logger("storage")->warn(
        "[{}] unreadable high watermark checkpoint ({}); starting from the "
        "log start",
        tp_.dir_name(), hw.error().to_string());
  }
  const Offset checkpointed_hw = hw.ok() ? hw->value_or(log_start_) : log_start_;
  high_watermark_ = std::clamp(checkpointed_hw, log_start_, leo);
  checkpointed_high_watermark_ = hw.ok() && hw->has_value() ? **hw : Offset(-1);
  // Durably gone before the log takes a write: the marker vouches only for what close() left.
  FERRY_TRY(remove_clean_shutdown_marker(dir_));
  FERRY_TRY(write_offset_checkpoint(dir_ / kLogStartOffsetFile, tp_, log_start_));
  checkpointed_start_ = log_start_;
  // Safe only after the fsyncs above: the next open() trusts every segment below this point.
  FERRY_TRY(write_offset_checkpoint(dir_ / kRecoveryPointFile, tp_, durable_segment_base_));
  recovery_point_ = durable_segment_base_;
  corruption_events_ = report.corruptions.size();
  // As Kafka's LogLoader: a log end below the checkpointed log start (segment files lost)
  // restarts the log, empty, at the log start.
  if (log_start_ > leo) {
    logger("storage")->warn("[{}] log start {} is past the log end {}; restarting the log there",
                            tp_.dir_name(), log_start_, leo);
    const Offset restart = log_start_;
    return truncate_fully_and_start_at(restart);
  }
  if (config_.compact_policy) FERRY_TRY(enable_gaps_locked());
  logger("storage")->info("[{}] opened: log start {} end {} ({} segments, {} scanned{})",
                          tp_.dir_name(), log_start_, leo, segments_.size(),
                          report.segments_scanned, report.clean_shutdown ? ", clean shutdown" : "");
  return ok_status();
}

Status PartitionLog::recover_segments(const std::optional<CleanShutdownMarker>& marker,
                                      bool epochs_missing, RecoveryReport& report) {
  FERRY_ASSIGN_OR_RETURN(const std::vector<Offset> bases, list_segments(dir_));
  for (const Offset base : bases) {
    FERRY_ASSIGN_OR_RETURN(auto s, Segment::open(dir_, base));
    configure_segment_locked(*s);
    segments_.push_back(std::move(s));
  }
  if (segments_.empty()) {
    FERRY_ASSIGN_OR_RETURN(auto s, Segment::create(dir_, Offset(0), clock_.wall_ms()));
    configure_segment_locked(*s);
    segments_.push_back(std::move(s));
    return ok_status();
  }
  const size_t n = segments_.size();
  size_t first_scan = 0;
  // A lost epoch cache is rebuilt from the batches' epochs, which needs every segment scanned:
  // neither the marker nor the recovery point may then skip one.
  const bool clean =
      marker && !epochs_missing && marker->active_segment_bytes == segments_.back()->size();
  if (clean) {
    first_scan = n;
  } else if (recovery_point_.value() >= 0 && !epochs_missing) {
    // Kafka's LogLoader.recoverLog: only segments from the one holding the recovery point on
    // can hold unflushed bytes.
    while (first_scan + 1 < n && segments_[first_scan + 1]->base_offset() <= recovery_point_) {
      ++first_scan;
    }
  }
  std::vector<std::optional<SegmentScan>> scans(n);
  const LeaderEpochCache none;
  for (size_t i = 0; i < n; ++i) {
    bool trusted = false;
    if (i < first_scan) {
      FERRY_ASSIGN_OR_RETURN(trusted, segments_[i]->load_trusted());
      if (trusted && clean && i + 1 == n)
        trusted = segments_[i]->next_offset() == marker->log_end_offset;
    }
    if (trusted) {
      ++report.segments_trusted;
      segments_[i]->mark_synced(segments_[i]->size());
      continue;
    }
    FERRY_ASSIGN_OR_RETURN(scans[i], segments_[i]->scan(epochs_missing ? none : epochs_));
    ++report.segments_scanned;
  }
  report.clean_shutdown = clean && report.segments_scanned == 0;
  if (epochs_missing) {
    epochs_.clear();
    for (const auto& scan : scans) {
      if (!scan) continue;
      for (const auto& e : scan->epoch_starts)
        epochs_.assign(e.epoch, e.start_offset);
    }
    report.epoch_cache_rebuilt = true;
  }
  return classify_bad_regions(scans, report);
}

Status PartitionLog::classify_bad_regions(const std::vector<std::optional<SegmentScan>>& scans,
                                          RecoveryReport& report) {
  auto has_valid = [&](size_t i) {
    return scans[i] ? scans[i]->valid_batches > 0 || scans[i]->bad_tail_holds_batches
                    : !segments_[i]->empty();
  };
  std::optional<size_t> last_valid;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (has_valid(i)) last_valid = i;
  }
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (!scans[i]) continue;
    const auto& seg = segments_[i];
    for (const auto& hole : scans[i]->holes) {
      report.corruptions.push_back({seg->file()->path(), hole.from, hole.to,
                                    "bad bytes followed by valid batches (kept, never served)"});
    }
    if (!scans[i]->bad_tail_from) continue;
    const uint64_t from = *scans[i]->bad_tail_from;
    if (last_valid && i < *last_valid) {
      report.corruptions.push_back({seg->file()->path(), from, seg->size(),
                                    "bad segment tail followed by valid segments (kept, never "
                                    "served)"});
      continue;
    }
    if (scans[i]->bad_tail_holds_batches) {
      report.corruptions.push_back({seg->file()->path(), from, seg->size(),
                                    "bad bytes followed by batches whose offsets cannot be "
                                    "proven (kept, never served)"});
      continue;
    }
    logger("storage")->warn("[{}] truncating torn tail of {} at byte {} ({} bytes)", tp_.dir_name(),
                            seg->file()->path().string(), from, seg->size() - from);
    report.torn_bytes_truncated += seg->size() - from;
    FERRY_TRY(seg->cut_bad_tail(from));
  }
  // Segments after the last valid one hold no valid batch: a torn tail too.
  const size_t keep = last_valid ? *last_valid + 1 : 1;
  while (segments_.size() > keep) {
    report.torn_bytes_truncated += segments_.back()->size();
    FERRY_TRY(segments_.back()->delete_files());
    segments_.pop_back();
  }
  // A kept bad tail is never appended to: the log goes on in a new segment where it ends.
  if (segments_.back()->corrupt_tail()) {
    const Offset end = segments_.back()->next_offset();
    if (end == segments_.back()->base_offset()) {  // nothing in it placed: set the file aside
      logger("storage")->error("[{}] setting {} aside: no batch in it can be placed",
                               tp_.dir_name(), segments_.back()->file()->path().string());
      FERRY_TRY(segments_.back()->set_aside(clock_.wall_ms()));
      segments_.pop_back();
    }
    FERRY_ASSIGN_OR_RETURN(auto next, Segment::create(dir_, end, clock_.wall_ms()));
    configure_segment_locked(*next);
    segments_.push_back(std::move(next));
  }
  for (const auto& c : report.corruptions) {
    logger("storage")->error("[{}] corruption in {} bytes [{}, {}): {}", tp_.dir_name(),
                             c.segment.string(), c.start_position, c.end_position, c.what);
  }
  for (size_t i = 0; i + 1 < segments_.size(); ++i) {
    const Offset end = segments_[i]->next_offset();
    const Offset next = segments_[i + 1]->base_offset();
    if (end > next) {
      return Error(ErrorCode::CORRUPT_MESSAGE,
                   fmt::format("segment {} ends at offset {} past the next segment's base {}",
                               segments_[i]->file()->path().string(), end, next));
    }
    // In a compacted log a segment may end (its last batch removed) before the next begins.
    if (end < next && !segments_[i]->corrupt_tail() && !allow_gaps_) {
      segments_[i]->set_corrupt_tail(true);
      report.corruptions.push_back({segments_[i]->file()->path(), segments_[i]->size(),
                                    segments_[i]->size(),
                                    fmt::format("offsets [{}, {}) are missing", end, next)});
      logger("storage")->error("[{}] offsets [{}, {}) are missing before {}", tp_.dir_name(), end,
                               next, segments_[i + 1]->file()->path().string());
    }
  }
  return ok_status();
}

Status PartitionLog::drop_segments_below_start(RecoveryReport&) {
  // Finishes a delete_records or retention that checkpointed the new log start but crashed
  // before unlinking the segments below it.
  while (segments_.size() > 1 && segments_[1]->base_offset() <= log_start_) {
    FERRY_TRY(segments_.front()->delete_files());
    segments_.erase(segments_.begin());
    dir_dirty_ = true;
  }
  return ok_status();
}

}  // namespace ferry::storage
