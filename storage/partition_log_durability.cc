// PartitionLog: flush (group commit), durability callbacks, truncation, retention,
// delete_records, checkpoints and close.
#include <unistd.h>

#include "common/file_util.h"
#include "common/log.h"
#include "storage/partition_log.h"
#include "storage/retention.h"

namespace ferry::storage {

namespace fs = std::filesystem;

struct PartitionLog::FlushPlan {
  struct Item {
    std::shared_ptr<Segment> segment;
    uint64_t size;
    bool sealed;
  };
  Offset target;
  Offset active_base;
  uint64_t truncations = 0;
  std::vector<Item> items;
  bool dir = false;
};

Status PartitionLog::flush() {
  Offset target;
  {
    std::lock_guard lock(mu_);
    FERRY_TRY(check_usable_locked());
    target = segments_.back()->next_offset();
  }
  return flush_up_to(target);
}

Status PartitionLog::flush_up_to(Offset target) {
  std::lock_guard flush_lock(flush_mu_);
  if (durable_end_offset() >= target) return ok_status();  // another caller's fsync covered us
  FlushPlan plan;
  {
    std::lock_guard lock(mu_);
    FERRY_TRY(check_usable_locked());
    plan.target = segments_.back()->next_offset();
    plan.active_base = segments_.back()->base_offset();
    plan.truncations = truncations_;
    for (size_t i = 0; i < segments_.size(); ++i) {
      const auto& s = segments_[i];
      const bool sealed = i + 1 < segments_.size();
      // Only sealed segments' indexes need an fsync: the active segment is at or past the
      // recovery point, so recovery scans it and rebuilds its indexes.
      if (s->synced_size() < s->size() || (sealed && s->indexes_dirty())) {
        plan.items.push_back({s, s->size(), sealed});
      }
    }
    plan.dir = dir_dirty_;
    dir_dirty_ = false;
  }
  bool crossed = false;
  for (const auto& item : plan.items) {
    Status synced = item.segment->sync_log();
    if (synced.ok() && item.sealed) synced = item.segment->sync_indexes();
    if (!synced.ok()) return mark_failed(synced.error());
    crossed = crossed || item.sealed;
  }
  if (plan.dir) {
    Status synced = fsync_directory(dir_);
    if (!synced.ok()) return mark_failed(synced.error());
  }
  std::vector<std::pair<DurableCallback, Status>> ready;
  DurableListener listener;
  Offset durable;
  {
    std::lock_guard lock(mu_);
    if (truncations_ != plan.truncations) return ok_status();  // raced a truncation: retry later
    for (const auto& item : plan.items)
      item.segment->mark_synced(item.size);
    if (plan.target > durable_end_offset()) {
      durable_.store(plan.target.value(), std::memory_order_release);
      durable_segment_base_ = plan.active_base;
    }
    durable = durable_end_offset();
    while (!waiters_.empty() && waiters_.begin()->first <= durable) {
      ready.emplace_back(std::move(waiters_.begin()->second), ok_status());
      waiters_.erase(waiters_.begin());
    }
    listener = listener_;
  }
  for (auto& [callback, status] : ready)
    callback(status);
  if (listener) listener(durable);
  if (crossed) return checkpoint();
  return ok_status();
}

void PartitionLog::when_durable(Offset end_offset, DurableCallback done) {
  Status status;
  {
    std::lock_guard lock(mu_);
    status = check_usable_locked();
    if (status.ok() && durable_end_offset() < end_offset) {
      waiters_.emplace(end_offset, std::move(done));
      return;
    }
  }
  done(status);
}

void PartitionLog::set_durable_listener(DurableListener listener) {
  std::lock_guard lock(mu_);
  listener_ = std::move(listener);
}

void PartitionLog::fail_waiters_locked(Offset above, const Error& error,
                                       std::vector<std::pair<DurableCallback, Status>>& out) {
  for (auto it = waiters_.upper_bound(above); it != waiters_.end();) {
    out.emplace_back(std::move(it->second), error);
    it = waiters_.erase(it);
  }
}

// ---- segment removal ------------------------------------------------------------------------

std::vector<std::shared_ptr<Segment>> PartitionLog::detach_front_locked(size_t count) {
  std::vector<std::shared_ptr<Segment>> gone(segments_.begin(),
                                             segments_.begin() + static_cast<ptrdiff_t>(count));
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(count));
  return gone;
}

Status PartitionLog::delete_segment_files(const std::vector<std::shared_ptr<Segment>>& gone) {
  for (const auto& s : gone) {
    Status deleted = s->delete_files();
    if (!deleted.ok()) return mark_failed(deleted.error());
  }
  return ok_status();
}

Status PartitionLog::write_start_checkpoint() {
  std::lock_guard ckpt(checkpoint_mu_);
  Offset start;
  {
    std::lock_guard lock(mu_);
    start = log_start_;
  }
  // Written outside mu_ (write_file_atomically fsyncs); holding checkpoint_mu_ from the read
  // above to here stops an older value from landing after a newer one.
  if (start == checkpointed_start_) return ok_status();
  FERRY_TRY(write_offset_checkpoint(dir_ / kLogStartOffsetFile, tp_, start));
  std::lock_guard lock(mu_);
  checkpointed_start_ = start;
  return ok_status();
}

Status PartitionLog::write_high_watermark_checkpoint() {
  Offset hw;
  {
    std::lock_guard lock(mu_);
    hw = high_watermark_;
  }
  if (hw == checkpointed_high_watermark_) return ok_status();
  FERRY_TRY(write_offset_checkpoint(dir_ / kReplicationOffsetFile, tp_, hw));
  std::lock_guard lock(mu_);
  checkpointed_high_watermark_ = hw;
  return ok_status();
}

Status PartitionLog::checkpoint() {
  FERRY_TRY(write_start_checkpoint());
  FERRY_TRY(write_high_watermark_checkpoint());
  std::lock_guard ckpt(checkpoint_mu_);
  Offset point;
  {
    std::lock_guard lock(mu_);
    point = durable_segment_base_;
    if (point <= recovery_point_) return ok_status();
  }
  FERRY_TRY(write_offset_checkpoint(dir_ / kRecoveryPointFile, tp_, point));
  std::lock_guard lock(mu_);
  // A truncation may have lowered it meanwhile; never raise past what it wrote.
  if (truncations_ == 0 || recovery_point_ < point) recovery_point_ = point;
  return ok_status();
}

Result<Offset> PartitionLog::delete_records(Offset offset) {
  std::vector<std::shared_ptr<Segment>> gone;
  {
    std::lock_guard lock(mu_);
    FERRY_TRY(check_usable_locked());
    const Offset leo = segments_.back()->next_offset();
    if (offset > high_watermark_ || offset > leo) {
      return Error(ErrorCode::OFFSET_OUT_OF_RANGE,
                   fmt::format("cannot delete records below {}: high watermark is {}", offset,
                               high_watermark_));
    }
    if (offset <= log_start_) return log_start_;
    log_start_ = offset;
    if (epochs_.truncate_from_start(offset)) FERRY_TRY(persist_epochs_locked());
    size_t count = 0;
    while (count + 1 < segments_.size() && segments_[count + 1]->base_offset() <= offset)
      ++count;
    gone = detach_front_locked(count);
  }
  // Checkpoint the new log start before unlinking: after a crash in between, open() drops the
  // segments below it again, whereas the other order could bring deleted records back.
  FERRY_TRY(write_start_checkpoint());
  FERRY_TRY(delete_segment_files(gone));
  return offset;
}

Result<size_t> PartitionLog::apply_retention(int64_t now_ms) {
  std::vector<std::shared_ptr<Segment>> gone;
  {
    std::lock_guard lock(mu_);
    FERRY_TRY(check_usable_locked());
    std::vector<SegmentMeta> metas;
    for (size_t i = 0; i < segments_.size(); ++i) {
      const auto& s = segments_[i];
      const int64_t ts = s->max_timestamp();
      metas.push_back(
          {s->base_offset(),
           i + 1 < segments_.size() ? segments_[i + 1]->base_offset() : s->next_offset(), s->size(),
           ts != kNoTimestamp ? ts : s->last_modified_ms()});
    }
    const RetentionPlan plan = plan_retention(metas, config_, now_ms, high_watermark_, log_start_);
    if (plan.delete_count == 0) return size_t{0};
    // Kafka's deleteSegments: a log keeps at least one segment, so when all go, first roll an
    // empty one at the log end (offsets are never reused).
    if (plan.delete_count == segments_.size()) FERRY_TRY(roll_locked(clock_.wall_ms()));
    gone = detach_front_locked(plan.delete_count);
    if (segments_.front()->base_offset() > log_start_) {
      log_start_ = segments_.front()->base_offset();
      if (epochs_.truncate_from_start(log_start_)) FERRY_TRY(persist_epochs_locked());
    }
    logger("storage")->info("[{}] retention deleted {} segment(s), log start now {}",
                            tp_.dir_name(), gone.size(), log_start_);
  }
  FERRY_TRY(write_start_checkpoint());
  FERRY_TRY(delete_segment_files(gone));
  return gone.size();
}

// ---- truncation -----------------------------------------------------------------------------

Status PartitionLog::truncate_to(Offset end_offset) {
  std::vector<std::shared_ptr<Segment>> gone;
  std::vector<std::pair<DurableCallback, Status>> failed;
  bool fully = false;
  {
    std::lock_guard ckpt(checkpoint_mu_);  // we may rewrite the recovery point (lock order)
    std::lock_guard lock(mu_);
    FERRY_TRY(check_usable_locked());
    if (end_offset >= segments_.back()->next_offset()) {
      // No batch to cut, but an epoch may start exactly here (a leader records its epoch at its
      // log end when elected, KIP-279): a follower truncating to its log end must drop it, or
      // its next fetch would name that epoch again and never converge.
      if (epochs_.truncate_from_end(end_offset)) FERRY_TRY(persist_epochs_locked());
      return ok_status();
    }
    fully = end_offset < segments_.front()->base_offset() || end_offset < log_start_;
    if (!fully) {
      if (end_offset < recovery_point_) {
        // The cut segments may lie below the recovery point: move it first, so a crash before
        // the cut reaches disk makes recovery scan them.
        FERRY_TRY(write_offset_checkpoint(dir_ / kRecoveryPointFile, tp_,
                                          segments_.front()->base_offset()));
        recovery_point_ = segments_.front()->base_offset();
      }
      while (segments_.size() > 1 && segments_.back()->base_offset() >= end_offset) {
        gone.push_back(segments_.back());
        segments_.pop_back();
        dir_dirty_ = true;
      }
      Status cut = segments_.back()->truncate_to(end_offset);
      if (!cut.ok()) {
        failed_ = Error(ErrorCode::KAFKA_STORAGE_ERROR, cut.error().message());
        return *failed_;
      }
      const Offset leo = segments_.back()->next_offset();
      // Offsets from leo on will hold new, unsynced data: the durable end must not cover them.
      if (durable_end_offset() > leo) durable_.store(leo.value());
      high_watermark_ = std::min(high_watermark_, leo);
      if (durable_segment_base_ > segments_.back()->base_offset()) {
        durable_segment_base_ = segments_.back()->base_offset();
      }
      ++truncations_;
      if (epochs_.truncate_from_end(leo)) FERRY_TRY(persist_epochs_locked());
      // Kafka's maybeTruncateCheckpoint: offsets from leo on will be new, dirty data.
      if (allow_gaps_) {
        const auto ckpt = read_offset_checkpoint(dir_ / kCleanerOffsetFile, tp_);
        if (!ckpt.ok() || (ckpt->has_value() && **ckpt > leo)) {
          FERRY_TRY(write_offset_checkpoint(dir_ / kCleanerOffsetFile, tp_, leo));
        }
      }
      fail_waiters_locked(
          leo, Error(ErrorCode::NOT_LEADER_OR_FOLLOWER, fmt::format("log truncated to {}", leo)),
          failed);
      logger("storage")->info("[{}] truncated to offset {} (log end now {})", tp_.dir_name(),
                              end_offset, leo);
    }
  }
  if (fully) return truncate_fully_and_start_at(end_offset);
  for (auto& [callback, status] : failed)
    callback(status);
  return delete_segment_files(gone);
}

Status PartitionLog::truncate_fully_and_start_at(Offset start_offset) {
  std::vector<std::pair<DurableCallback, Status>> failed;
  {
    std::lock_guard ckpt(checkpoint_mu_);  // lock order: checkpoint_mu_ before mu_
    std::lock_guard lock(mu_);
    FERRY_TRY(check_usable_locked());
    FERRY_TRY(write_offset_checkpoint(dir_ / kRecoveryPointFile, tp_, start_offset));
    recovery_point_ = start_offset;
    for (const auto& s : segments_) {
      Status deleted = s->delete_files();
      if (!deleted.ok()) {
        failed_ = Error(ErrorCode::KAFKA_STORAGE_ERROR, deleted.error().message());
        return *failed_;
      }
    }
    segments_.clear();
    auto fresh = Segment::create(dir_, start_offset, clock_.wall_ms());
    if (!fresh.ok()) {
      failed_ = Error(ErrorCode::KAFKA_STORAGE_ERROR, fresh.error().message());
      return *failed_;
    }
    configure_segment_locked(**fresh);
    segments_.push_back(std::move(*fresh));
    dir_dirty_ = true;
    log_start_ = start_offset;
    high_watermark_ = start_offset;
    durable_.store(start_offset.value());
    durable_segment_base_ = start_offset;
    ++truncations_;
    if (allow_gaps_)
      FERRY_TRY(write_offset_checkpoint(dir_ / kCleanerOffsetFile, tp_, start_offset));
    epochs_.clear();
    FERRY_TRY(persist_epochs_locked());
    fail_waiters_locked(
        start_offset,
        Error(ErrorCode::NOT_LEADER_OR_FOLLOWER, fmt::format("log restarted at {}", start_offset)),
        failed);
    logger("storage")->info("[{}] truncated fully, log restarts at {}", tp_.dir_name(),
                            start_offset);
  }
  for (auto& [callback, status] : failed)
    callback(status);
  FERRY_TRY(fsync_directory(dir_));
  return write_start_checkpoint();
}

// ---- close ----------------------------------------------------------------------------------

Status PartitionLog::close() {
  Status flushed = flush();
  std::vector<std::shared_ptr<Segment>> segments;
  std::vector<std::pair<DurableCallback, Status>> failed;
  CleanShutdownMarker marker;
  {
    std::lock_guard lock(mu_);
    if (closed_) return ok_status();
    FERRY_TRY(check_usable_locked());
    FERRY_TRY(flushed);
    FERRY_TRY(segments_.back()->seal());
    // Set with the marker's numbers in one critical section: no append can land after them.
    closed_ = true;
    fail_waiters_locked(Offset::min(), Error(ErrorCode::KAFKA_STORAGE_ERROR, "log closed"), failed);
    segments = segments_;
    marker.log_end_offset = segments_.back()->next_offset();
    marker.active_segment_bytes = segments_.back()->size();
    durable_segment_base_ = segments_.back()->base_offset();
  }
  for (auto& [callback, status] : failed)
    callback(status);
  // flush() synced only sealed segments' indexes; the next open may trust every segment without
  // a scan, so the just-sealed active one's indexes must reach disk too.
  for (const auto& s : segments) {
    FERRY_TRY(s->sync_log());
    FERRY_TRY(s->sync_indexes());
  }
  FERRY_TRY(fsync_directory(dir_));
  FERRY_TRY(write_start_checkpoint());
  FERRY_TRY(write_high_watermark_checkpoint());
  {
    std::lock_guard ckpt(checkpoint_mu_);
    FERRY_TRY(
        write_offset_checkpoint(dir_ / kRecoveryPointFile, tp_, segments.back()->base_offset()));
  }
  // Last: open() skips the scan on the marker's word, so all of the above must be durable first.
  FERRY_TRY(write_clean_shutdown_marker(dir_, marker));
  logger("storage")->info("[{}] closed cleanly at log end {}", tp_.dir_name(),
                          marker.log_end_offset);
  return ok_status();
}

void PartitionLog::close_for_delete() {
  std::vector<std::pair<DurableCallback, Status>> failed;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    fail_waiters_locked(Offset::min(),
                        Error(ErrorCode::NOT_LEADER_OR_FOLLOWER, "partition deleted"), failed);
  }
  for (auto& [callback, status] : failed)
    callback(status);
}

}  // namespace ferry::storage
