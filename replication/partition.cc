#include "replication/partition.h"

#include <algorithm>

#include "common/log.h"

namespace ferry::replication {

namespace {
bool contains(const std::vector<NodeId>& v, NodeId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}
}  // namespace

Partition::Partition(std::string topic, int32_t index, Uuid topic_id,
                     std::shared_ptr<storage::PartitionLog> log, NodeId self, AckMode mode,
                     Executor& executor, Clock& clock)
    : topic_(std::move(topic)),
      index_(index),
      topic_id_(topic_id),
      log_(std::move(log)),
      self_(self),
      mode_(mode),
      executor_(executor),
      clock_(clock),
      // What this replica knew before it stopped (replication-offset-checkpoint).
      high_watermark_(log_->high_watermark()) {}

std::string Partition::topic_partition() const {
  return fmt::format("{}-{}", topic_, index_);
}

std::string Partition::log_prefix() const {
  std::lock_guard lock(mutex_);
  return log_prefix_locked();
}

std::string Partition::log_prefix_locked() const {
  return fmt::format("[{} e={}]", topic_partition(), assignment_.leader_epoch);
}

void Partition::run(Tasks tasks) {
  for (auto& t : tasks)
    executor_.post(std::move(t));
}

// ---- role -----------------------------------------------------------------------------------

Role Partition::apply_assignment(const PartitionAssignment& a, int32_t min_insync_replicas) {
  Tasks tasks;
  Role role = Role::kOffline;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return Role::kOffline;
    min_insync_replicas_ = min_insync_replicas;
    if (has_assignment_ && a.partition_epoch < assignment_.partition_epoch) {
      // An older image (or one older than an AlterPartition answer we applied): keep ours.
      return leader_ ? Role::kLeader : follower_ ? Role::kFollower : Role::kOffline;
    }
    const bool was_leader = leader_.has_value();
    const bool hosted = contains(a.replicas, self_);
    if (!hosted || a.leader == kNoNode) {
      go_offline_locked(a, tasks);
    } else if (a.leader == self_) {
      if (contains(a.isr, self_)) {
        become_leader_locked(a, was_leader, tasks);
      } else {
        logger("replication")
            ->error("{} named leader outside its ISR {}: staying offline", log_prefix_locked(),
                    fmt::join(a.isr, ","));
        go_offline_locked(a, tasks);
      }
    } else {
      become_follower_locked(a, tasks);
    }
    if (!leader_ || leader_->partition_epoch() <= a.partition_epoch) assignment_ = a;
    has_assignment_ = true;
    role = leader_ ? Role::kLeader : follower_ ? Role::kFollower : Role::kOffline;
  }
  run(std::move(tasks));
  return role;
}

void Partition::become_leader_locked(const PartitionAssignment& a, bool was_leader, Tasks& out) {
  const int64_t now = clock_.monotonic_ms();
  if (was_leader && a.leader_epoch == leader_->epoch()) {
    // Same leadership, new replicas or ISR.
    if (auto hw = leader_->on_assignment(a, leader_->epoch_start_offset(), now)) {
      set_high_watermark_locked(*hw, out);
    }
    return;
  }
  // KIP-279: the epoch goes into the epoch cache at our log end before any write of this epoch,
  // so a follower that had more of the previous epoch learns exactly where it diverges.
  auto start = log_->assign_leader_epoch(a.leader_epoch);
  if (!start.ok()) {
    logger("replication")
        ->error("{} cannot lead in epoch {}: {}", log_prefix_locked(), a.leader_epoch,
                start.error().to_string());
    go_offline_locked(a, out);
    return;
  }
  if (was_leader) {
    // A new epoch that keeps us leader keeps the parked produces and followers' positions, as
    // Kafka does: their batches are still ours to commit.
    if (auto hw = leader_->on_assignment(a, *start, now)) set_high_watermark_locked(*hw, out);
    logger("replication")
        ->info("{} leads again in epoch {} from offset {}", log_prefix_locked(), a.leader_epoch,
               *start);
    fire_watchers_locked(false, out);
    return;
  }
  follower_.reset();
  leader_.emplace(self_, a, mode_, high_watermark_, *start, log_->log_end_offset(),
                  log_->durable_end_offset(), now);
  high_watermark_ = leader_->high_watermark();
  log_->set_high_watermark(high_watermark_);
  logger("replication")
      ->info("[{} e={}] became leader at offset {} hw={} isr={}", topic_partition(), a.leader_epoch,
             *start, high_watermark_, fmt::join(a.isr, ","));
  fire_watchers_locked(false, out);
}

void Partition::become_follower_locked(const PartitionAssignment& a, Tasks& out) {
  if (leader_) {
    logger("replication")
        ->info("{} is no longer leader (leader {} in epoch {})", log_prefix_locked(), a.leader,
               a.leader_epoch);
    leader_.reset();
    fail_all_waiters_locked(ErrorCode::NOT_LEADER_OR_FOLLOWER, out);
    fire_watchers_locked(false, out);
  }
  if (follower_ && follower_->leader() == a.leader && follower_->leader_epoch() == a.leader_epoch) {
    return;  // same leadership, other replicas/ISR
  }
  follower_.emplace(a.leader, a.leader_epoch, std::min(high_watermark_, log_->log_end_offset()));
  logger("replication")
      ->info("[{} e={}] following leader {} from offset {} hw={}", topic_partition(),
             a.leader_epoch, a.leader, log_->log_end_offset(), high_watermark_);
  fire_watchers_locked(false, out);
}

void Partition::go_offline_locked(const PartitionAssignment& a, Tasks& out) {
  if (leader_ || follower_) {
    logger("replication")
        ->info("[{} e={}] offline here (leader {}, replicas {})", topic_partition(), a.leader_epoch,
               a.leader, fmt::join(a.replicas, ","));
  }
  leader_.reset();
  follower_.reset();
  fail_all_waiters_locked(ErrorCode::NOT_LEADER_OR_FOLLOWER, out);
  fire_watchers_locked(false, out);
}

void Partition::set_lease(bool valid) {
  Tasks tasks;
  {
    std::lock_guard lock(mutex_);
    if (lease_valid_ == valid) return;
    lease_valid_ = valid;
    if (leader_ && !valid) {
      // Parked acks=all produces stay: their batches are in the log, and the HW (which only
      // passes what every ISR member holds) may still complete them. Answering them
      // NOT_LEADER_OR_FOLLOWER would tell clients "not persisted" for data that may stay, and
      // they would send it again (librdkafka does, even with retries disabled).
      logger("replication")
          ->warn("{} stops taking writes: the broker's controller lease ran out",
                 log_prefix_locked());
    } else if (leader_) {
      logger("replication")
          ->info("{} leads again: the controller lease is back", log_prefix_locked());
    }
    fire_watchers_locked(false, tasks);
  }
  run(std::move(tasks));
}

void Partition::stop() {
  Tasks tasks;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    leader_.reset();
    follower_.reset();
    fail_all_waiters_locked(ErrorCode::NOT_LEADER_OR_FOLLOWER, tasks);
    fire_watchers_locked(false, tasks);
  }
  run(std::move(tasks));
}

Role Partition::role() const {
  std::lock_guard lock(mutex_);
  return leader_ ? Role::kLeader : follower_ ? Role::kFollower : Role::kOffline;
}

bool Partition::is_leader() const {
  std::lock_guard lock(mutex_);
  return leading_locked();
}

LeaderEpoch Partition::leader_epoch() const {
  std::lock_guard lock(mutex_);
  return assignment_.leader_epoch;
}

NodeId Partition::leader() const {
  std::lock_guard lock(mutex_);
  return assignment_.leader;
}

PartitionAssignment Partition::assignment() const {
  std::lock_guard lock(mutex_);
  return assignment_;
}

int32_t Partition::min_insync_replicas() const {
  std::lock_guard lock(mutex_);
  return min_insync_replicas_;
}

ErrorCode Partition::check_leader(int32_t client_leader_epoch) const {
  std::lock_guard lock(mutex_);
  return check_leader_locked(client_leader_epoch);
}

ErrorCode Partition::check_leader_locked(int32_t client_leader_epoch, bool need_lease) const {
  // KIP-320: -1 means "do not check"; an older epoch is fenced, a newer one unknown to us yet.
  if (client_leader_epoch >= 0) {
    if (client_leader_epoch < assignment_.leader_epoch.value()) {
      return ErrorCode::FENCED_LEADER_EPOCH;
    }
    if (client_leader_epoch > assignment_.leader_epoch.value()) {
      return ErrorCode::UNKNOWN_LEADER_EPOCH;
    }
  }
  const bool leading = need_lease ? leading_locked() : leader_.has_value() && !stopped_;
  return leading ? ErrorCode::NONE : ErrorCode::NOT_LEADER_OR_FOLLOWER;
}

// ---- produce --------------------------------------------------------------------------------

Result<Partition::Appended> Partition::append(std::span<uint8_t> batches, Acks acks) {
  Tasks tasks;
  Result<Appended> out = Error(ErrorCode::NOT_LEADER_OR_FOLLOWER);
  {
    // Held across the storage append so leadership cannot change under it.
    std::lock_guard lock(mutex_);
    if (!leading_locked()) {
      return Error(ErrorCode::NOT_LEADER_OR_FOLLOWER,
                   fmt::format("Broker {} is not the leader of {}", self_, topic_partition()));
    }
    FERRY_TRY(leader_->check_append(acks, min_insync_replicas_, topic_partition()));
    auto appended = log_->append_as_leader(batches, leader_->epoch());
    if (!appended.ok()) return std::move(appended).error();
    const Offset needed_end = appended->last_offset + 1;
    if (auto hw = leader_->on_local_append(log_->log_end_offset(), clock_.monotonic_ms())) {
      set_high_watermark_locked(*hw, tasks);
    }
    fire_watchers_locked(true, tasks);
    out = Appended{*appended, needed_end};
  }
  run(std::move(tasks));
  return out;
}

void Partition::wait_for_high_watermark(Offset needed_end, int64_t timeout_ms,
                                        std::function<void(ErrorCode)> done) {
  std::lock_guard lock(mutex_);
  if (!leader_ || stopped_) {  // the lease may have lapsed since the append: keep waiting then
    executor_.post([done = std::move(done)] { done(ErrorCode::NOT_LEADER_OR_FOLLOWER); });
    return;
  }
  if (high_watermark_ >= needed_end) {
    const ErrorCode code = leader_->completion_code(min_insync_replicas_);
    executor_.post([done = std::move(done), code] { done(code); });
    return;
  }
  const auto id = waiter_queue_.add(needed_end);
  auto& waiter = waiters_[id];
  waiter.done = std::move(done);
  waiter.timer = executor_.schedule_after(timeout_ms, [weak = weak_from_this(), id] {
    auto self = weak.lock();
    if (!self) return;
    std::function<void(ErrorCode)> timed_out;
    {
      std::lock_guard lock(self->mutex_);
      const auto it = self->waiters_.find(id);
      if (it == self->waiters_.end()) return;
      timed_out = std::move(it->second.done);
      self->waiters_.erase(it);
      self->waiter_queue_.remove(id);
    }
    timed_out(ErrorCode::REQUEST_TIMED_OUT);
  });
}

// ---- reads ----------------------------------------------------------------------------------

Offset Partition::high_watermark() const {
  std::lock_guard lock(mutex_);
  return high_watermark_;
}

Result<storage::ReadResult> Partition::read(Offset offset, uint64_t max_bytes) const {
  return log_->read(offset, max_bytes, high_watermark());
}

ErrorCode Partition::check_high_watermark_current() const {
  std::lock_guard lock(mutex_);
  return leader_ && leader_->high_watermark_lags_epoch_start() ? ErrorCode::OFFSET_NOT_AVAILABLE
                                                               : ErrorCode::NONE;
}

ReplicaRead Partition::read_for_follower(NodeId follower, BrokerEpoch broker_epoch,
                                         const FetchPosition& position, uint64_t max_bytes) {
  ReplicaRead out;
  Tasks tasks;
  {
    std::lock_guard lock(mutex_);
    // No lease needed: followers fetching from a leader whose lease lapsed can only move its HW
    // over what every ISR member holds (which completes parked produces safely).
    out.error = check_leader_locked(position.current_leader_epoch.value(), false);
    if (out.error != ErrorCode::NONE) return out;
    if (!contains(assignment_.replicas, follower)) {
      out.error = ErrorCode::NOT_LEADER_OR_FOLLOWER;  // not a replica of this partition (any more)
      return out;
    }
    out.log_start = log_->log_start_offset();
    out.log_end = log_->log_end_offset();
    out.high_watermark = high_watermark_;
    if ((out.diverging = follower_divergence(position, local_log()))) return out;
    if (position.fetch_offset < out.log_start) {
      out.error = ErrorCode::OFFSET_OUT_OF_RANGE;
      return out;
    }
    if (auto hw = leader_->on_follower_fetch(follower, broker_epoch, position.fetch_offset,
                                             position.durable_end, clock_.monotonic_ms())) {
      set_high_watermark_locked(*hw, tasks);
    }
    out.high_watermark = high_watermark_;
  }
  run(std::move(tasks));
  if (max_bytes > 0 && position.fetch_offset < out.log_end) {
    // Outside the lock: the bytes go out with sendfile; a truncation meanwhile (only after an
    // election moved us to follower) makes the sender fail the short read and close.
    auto read = log_->read(position.fetch_offset, max_bytes, out.log_end);
    if (read.ok()) {
      out.slice = read->slice;
    } else {
      out.error = read.code();
    }
  }
  return out;
}

Result<storage::EpochEndOffset> Partition::end_offset_for_epoch(int32_t current_leader_epoch,
                                                                LeaderEpoch requested) const {
  {
    std::lock_guard lock(mutex_);
    if (const auto code = check_leader_locked(current_leader_epoch); code != ErrorCode::NONE) {
      return Error(code);
    }
  }
  return log_->end_offset_for_epoch(requested);
}

// ---- follower -------------------------------------------------------------------------------

LocalLog Partition::local_log() const {
  LocalLog out;
  out.log_start = log_->log_start_offset();
  out.log_end = log_->log_end_offset();
  out.durable_end = log_->durable_end_offset();
  const auto latest = log_->latest_epoch();
  out.latest_epoch = latest ? latest->epoch : LeaderEpoch(-1);
  out.end_offset_for = [log = log_](LeaderEpoch e) { return log->end_offset_for_epoch(e); };
  return out;
}

std::optional<FetchPosition> Partition::follower_position(NodeId leader, LeaderEpoch epoch) const {
  std::lock_guard lock(mutex_);
  if (stopped_ || !follower_ || follower_->leader() != leader ||
      follower_->leader_epoch() != epoch) {
    return std::nullopt;
  }
  return follower_->next_fetch(local_log());
}

FollowerOutcome Partition::apply_leader_answer(NodeId leader, LeaderEpoch epoch,
                                               const FetchPosition& sent,
                                               const LeaderAnswer& answer, ByteSpan records) {
  using Step = FollowerState::Step;
  FollowerOutcome out;
  Tasks tasks;
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || !follower_ || follower_->leader() != leader ||
        follower_->leader_epoch() != epoch) {
      out.current = false;  // an answer for a leadership we no longer follow
      return out;
    }
    const auto decision = follower_->on_answer(sent, answer, local_log());
    out.step = decision.step;
    out.error = decision.error;
    Status applied = ok_status();
    switch (decision.step) {
      case Step::kAppend:
        if (auto appended = log_->append_as_follower(records); appended.ok()) {
          out.appended = true;
        } else {
          applied = std::move(appended).error();
        }
        break;
      case Step::kTruncate:
        logger("replication")
            ->info(
                "{} diverges from leader {} (epoch {} ends at {} there): "
                "truncating to {}",
                log_prefix_locked(), leader, answer.diverging->epoch, answer.diverging->end_offset,
                decision.offset);
        applied = log_->truncate_to(decision.offset);
        break;
      case Step::kRestart:
        logger("replication")
            ->warn("{} restarts its log at {} (leader {} log start {})", log_prefix_locked(),
                   decision.offset, leader, answer.log_start);
        applied = log_->truncate_fully_and_start_at(decision.offset);
        break;
      case Step::kNothing:
      case Step::kRetryLater:
        break;
    }
    if (!applied.ok()) {
      logger("replication")
          ->warn("{} could not apply leader {}'s answer: {}", log_prefix_locked(), leader,
                 applied.error().to_string());
      out.step = Step::kRetryLater;
      out.error = applied.code();
    }
    out.log_end = log_->log_end_offset();
    set_high_watermark_locked(follower_->on_log_changed(out.log_end), tasks);
    if (decision.advance_log_start_to && applied.ok()) {
      if (auto moved = log_->delete_records(*decision.advance_log_start_to); !moved.ok()) {
        logger("replication")
            ->warn("{} could not follow the leader's log start {}: {}", log_prefix_locked(),
                   *decision.advance_log_start_to, moved.error().to_string());
      }
    }
  }
  run(std::move(tasks));
  return out;
}

// ---- ISR ------------------------------------------------------------------------------------

std::optional<IsrProposal> Partition::next_isr_change(
    int64_t max_lag_ms, const std::map<NodeId, BrokerEndpoint>& live) {
  std::lock_guard lock(mutex_);
  if (!leading_locked()) return std::nullopt;
  return leader_->next_isr_change(clock_.monotonic_ms(), max_lag_ms, live);
}

void Partition::on_alter_partition_result(const std::optional<PartitionAssignment>& state) {
  Tasks tasks;
  {
    std::lock_guard lock(mutex_);
    if (!leader_) return;
    if (auto hw = leader_->on_alter_partition_result(state, clock_.monotonic_ms())) {
      set_high_watermark_locked(*hw, tasks);
    }
    if (leader_->partition_epoch() > assignment_.partition_epoch) {
      assignment_ = leader_->assignment();
      logger("replication")
          ->info("{} ISR is now {}", log_prefix_locked(), fmt::join(assignment_.isr, ","));
    }
  }
  run(std::move(tasks));
}

// ---- watchers, durability, HW -----------------------------------------------------------------

uint64_t Partition::watch(Watch kind, std::function<void()> fire) {
  std::lock_guard lock(mutex_);
  const uint64_t id = next_watch_id_++;
  watchers_[id] = Watcher{kind, std::move(fire)};
  return id;
}

void Partition::unwatch(uint64_t id) {
  std::lock_guard lock(mutex_);
  watchers_.erase(id);
}

void Partition::on_durable(Offset durable_end) {
  Tasks tasks;
  {
    std::lock_guard lock(mutex_);
    if (!leader_) return;
    if (auto hw = leader_->on_local_durable(durable_end, clock_.monotonic_ms())) {
      set_high_watermark_locked(*hw, tasks);
    }
  }
  run(std::move(tasks));
}

bool Partition::needs_flush() const {
  return log_->durable_end_offset() < log_->log_end_offset();
}

void Partition::set_high_watermark_locked(Offset hw, Tasks& out) {
  if (hw == high_watermark_) return;
  const bool advanced = hw > high_watermark_;
  high_watermark_ = hw;
  log_->set_high_watermark(hw);
  if (!advanced) return;
  complete_waiters_locked(out);
  fire_watchers_locked(false, out);
}

void Partition::complete_waiters_locked(Tasks& out) {
  if (!leader_) return;
  const ErrorCode code = leader_->completion_code(min_insync_replicas_);
  for (const auto id : waiter_queue_.take_ready(high_watermark_)) {
    auto it = waiters_.find(id);
    if (it == waiters_.end()) continue;
    Waiter waiter = std::move(it->second);
    waiters_.erase(it);
    if (waiter.timer) waiter.timer->cancel();
    out.push_back([done = std::move(waiter.done), code] { done(code); });
  }
}

void Partition::fail_all_waiters_locked(ErrorCode code, Tasks& out) {
  for (const auto id : waiter_queue_.take_all()) {
    auto it = waiters_.find(id);
    if (it == waiters_.end()) continue;
    if (it->second.timer) it->second.timer->cancel();
    out.push_back([done = std::move(it->second.done), code] { done(code); });
    waiters_.erase(it);
  }
}

void Partition::fire_watchers_locked(bool log_end_only, Tasks& out) {
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    if (log_end_only && it->second.kind != Watch::kLogEnd) {
      ++it;
      continue;
    }
    out.push_back(std::move(it->second.fire));
    it = watchers_.erase(it);
  }
}

}  // namespace ferry::replication
