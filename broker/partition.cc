#include "broker/partition.h"

#include <algorithm>

#include "common/log.h"

namespace ferry::broker {

namespace {
bool contains(const std::vector<NodeId>& v, NodeId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}
}  // namespace

Partition::Partition(std::string topic, int32_t index, Uuid topic_id,
                     std::shared_ptr<storage::PartitionLog> log, NodeId self,
                     replication::AckMode mode, net::Executor& executor, Clock& clock)
    : topic_(std::move(topic)),
      index_(index),
      topic_id_(topic_id),
      log_(std::move(log)),
      self_(self),
      mode_(mode),
      executor_(executor),
      clock_(clock) {}

std::string Partition::log_prefix() const {
  return fmt::format("[{}-{} e={}]", topic_, index_, registration_.leader_epoch);
}

void Partition::run(std::vector<std::function<void()>> tasks) {
  for (auto& t : tasks)
    executor_.post(std::move(t));
}

void Partition::apply_registration(const metadata::PartitionRegistration& registration) {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    const bool was_leader = leader_.has_value();
    const bool epoch_changed = registration.leader_epoch != registration_.leader_epoch;
    registration_ = registration;
    if (registration.leader == self_ && contains(registration.isr, self_)) {
      if (!leader_ || epoch_changed) {
        if (was_leader) fail_all_waiters_locked(ErrorCode::NOT_LEADER_OR_FOLLOWER, tasks);
        replication::ReplicaPosition local{log_->log_end_offset(), log_->durable_end_offset(), 0};
        leader_.emplace(self_, registration.leader_epoch, registration.replicas, registration.isr,
                        mode_, high_watermark_, local, clock_.monotonic_ms());
        high_watermark_ = leader_->high_watermark();
        log_->set_high_watermark(high_watermark_);
        logger("broker")->info("{} became leader hw={} leo={} isr={}", log_prefix(),
                               high_watermark_, log_->log_end_offset(),
                               fmt::join(registration.isr, ","));
        fire_watchers_locked(tasks);
      } else if (auto hw = leader_->on_isr_committed(registration.isr)) {
        on_high_watermark_advanced_locked(*hw, tasks);
      }
    } else if (was_leader) {
      logger("broker")->info("{} is no longer leader (leader {})", log_prefix(),
                             registration.leader);
      leader_.reset();
      fail_all_waiters_locked(ErrorCode::NOT_LEADER_OR_FOLLOWER, tasks);
      fire_watchers_locked(tasks);
    }
  }
  run(std::move(tasks));
}

void Partition::stop() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    leader_.reset();
    fail_all_waiters_locked(ErrorCode::NOT_LEADER_OR_FOLLOWER, tasks);
    fire_watchers_locked(tasks);
  }
  run(std::move(tasks));
}

bool Partition::is_leader() const {
  std::lock_guard lock(mutex_);
  return leader_.has_value();
}

LeaderEpoch Partition::leader_epoch() const {
  std::lock_guard lock(mutex_);
  return registration_.leader_epoch;
}

NodeId Partition::leader() const {
  std::lock_guard lock(mutex_);
  return registration_.leader;
}

ErrorCode Partition::check_leader(int32_t client_leader_epoch) const {
  std::lock_guard lock(mutex_);
  if (client_leader_epoch >= 0) {
    if (client_leader_epoch < registration_.leader_epoch.value()) {
      return ErrorCode::FENCED_LEADER_EPOCH;
    }
    if (client_leader_epoch > registration_.leader_epoch.value()) {
      return ErrorCode::UNKNOWN_LEADER_EPOCH;
    }
  }
  return leader_.has_value() ? ErrorCode::NONE : ErrorCode::NOT_LEADER_OR_FOLLOWER;
}

Result<Partition::Appended> Partition::append(std::span<uint8_t> batches, int16_t acks,
                                              int32_t min_insync_replicas) {
  std::vector<std::function<void()>> tasks;
  Result<Appended> out = Error(ErrorCode::NOT_LEADER_OR_FOLLOWER);
  {
    // Held across the storage append so leadership cannot change under it (the storage log
    // serialises appends anyway).
    std::lock_guard lock(mutex_);
    if (!leader_) {
      return Error(ErrorCode::NOT_LEADER_OR_FOLLOWER,
                   fmt::format("Broker {} is not the leader of {}-{}", self_, topic_, index_));
    }
    const auto isr_size = static_cast<int32_t>(leader_->isr().size());
    if (acks == -1 && isr_size < min_insync_replicas) {
      return Error(ErrorCode::NOT_ENOUGH_REPLICAS,
                   fmt::format("The size of the current ISR {} is insufficient to satisfy the "
                               "min.isr requirement of {} for partition {}-{}",
                               isr_size, min_insync_replicas, topic_, index_));
    }
    auto appended = log_->append_as_leader(batches, leader_->epoch());
    if (!appended.ok()) return std::move(appended).error();
    const Offset needed_end = appended->last_offset + 1;
    if (auto hw = leader_->on_local_append(std::max(needed_end, log_->log_end_offset()),
                                           clock_.monotonic_ms())) {
      on_high_watermark_advanced_locked(*hw, tasks);
    }
    out = Appended{*appended, needed_end};
  }
  run(std::move(tasks));
  return out;
}

void Partition::wait_for_high_watermark(Offset needed_end, int32_t min_insync_replicas,
                                        int64_t timeout_ms, std::function<void(ErrorCode)> done) {
  std::lock_guard lock(mutex_);
  if (!leader_) {
    executor_.post([done = std::move(done)] { done(ErrorCode::NOT_LEADER_OR_FOLLOWER); });
    return;
  }
  if (high_watermark_ >= needed_end) {
    const bool enough = static_cast<int32_t>(leader_->isr().size()) >= min_insync_replicas;
    executor_.post([done = std::move(done), enough] {
      done(enough ? ErrorCode::NONE : ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    });
    return;
  }
  const auto id = waiter_queue_.add(needed_end);
  auto& waiter = waiters_[id];
  waiter.done = std::move(done);
  waiter.min_insync_replicas = min_insync_replicas;
  waiter.timer = executor_.schedule_after(timeout_ms, [weak = weak_from_this(), id] {
    auto self = weak.lock();
    if (!self) return;
    std::function<void(ErrorCode)> done;
    {
      std::lock_guard lock(self->mutex_);
      const auto it = self->waiters_.find(id);
      if (it == self->waiters_.end()) return;
      done = std::move(it->second.done);
      self->waiters_.erase(it);
      self->waiter_queue_.remove(id);
    }
    done(ErrorCode::REQUEST_TIMED_OUT);
  });
}

Offset Partition::high_watermark() const {
  std::lock_guard lock(mutex_);
  return high_watermark_;
}

Result<storage::ReadResult> Partition::read(Offset offset, uint64_t max_bytes) const {
  return log_->read(offset, max_bytes, high_watermark());
}

uint64_t Partition::watch_high_watermark(std::function<void()> fire) {
  std::lock_guard lock(mutex_);
  const uint64_t id = next_watch_id_++;
  watchers_[id] = std::move(fire);
  return id;
}

void Partition::unwatch(uint64_t id) {
  std::lock_guard lock(mutex_);
  watchers_.erase(id);
}

void Partition::on_durable(Offset durable_end) {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(mutex_);
    if (!leader_) return;
    if (auto hw = leader_->on_local_durable(durable_end, clock_.monotonic_ms())) {
      on_high_watermark_advanced_locked(*hw, tasks);
    }
  }
  run(std::move(tasks));
}

bool Partition::needs_flush() const {
  return log_->durable_end_offset() < log_->log_end_offset();
}

void Partition::on_high_watermark_advanced_locked(Offset hw,
                                                  std::vector<std::function<void()>>& out) {
  high_watermark_ = hw;
  log_->set_high_watermark(hw);
  const bool isr_ok_for = leader_.has_value();
  const auto isr_size = isr_ok_for ? static_cast<int32_t>(leader_->isr().size()) : 0;
  for (const auto id : waiter_queue_.take_ready(hw)) {
    auto it = waiters_.find(id);
    if (it == waiters_.end()) continue;
    Waiter waiter = std::move(it->second);
    waiters_.erase(it);
    if (waiter.timer) waiter.timer->cancel();
    const ErrorCode code = isr_size >= waiter.min_insync_replicas
                               ? ErrorCode::NONE
                               : ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND;
    out.push_back([done = std::move(waiter.done), code] { done(code); });
  }
  fire_watchers_locked(out);
}

void Partition::fail_all_waiters_locked(ErrorCode code, std::vector<std::function<void()>>& out) {
  for (const auto id : waiter_queue_.take_all()) {
    auto it = waiters_.find(id);
    if (it == waiters_.end()) continue;
    if (it->second.timer) it->second.timer->cancel();
    out.push_back([done = std::move(it->second.done), code] { done(code); });
    waiters_.erase(it);
  }
}

void Partition::fire_watchers_locked(std::vector<std::function<void()>>& out) {
  for (auto& [_, fire] : watchers_)
    out.push_back(std::move(fire));
  watchers_.clear();
}

}  // namespace ferry::broker
