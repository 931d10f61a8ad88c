// Virtual time for deterministic simulations: one event queue ordered by (time, sequence), a
// ManualClock that follows it, and Executors bound to an owner (a simulated process) whose
// pending tasks and timers vanish when the owner "crashes" (its generation moves on).
//
// Single-threaded: everything runs on the thread that calls run_next(). Deterministic: equal
// times run in the order they were scheduled.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <vector>

#include "common/clock.h"
#include "common/executor.h"

namespace ferry::test {

class SimScheduler {
 public:
  explicit SimScheduler(ManualClock& clock) : clock_(clock) {}

  int64_t now_ms() const { return now_ms_; }
  ManualClock& clock() { return clock_; }

  // Runs `fn` at `at_ms` (>= now) unless `owner` crashed since (its generation changed).
  void at(int64_t at_ms, int owner, std::function<void()> fn) {
    queue_.push(
        Event{std::max(at_ms, now_ms_), next_seq_++, owner, generation(owner), std::move(fn)});
  }
  void after(int64_t delay_ms, int owner, std::function<void()> fn) {
    at(now_ms_ + std::max<int64_t>(delay_ms, 0), owner, std::move(fn));
  }
  // Runs `fn` at `at_ms` only if `owner` is still in `generation` then (an answer addressed to
  // the incarnation that asked, not to its successor).
  void at_generation(int64_t at_ms, int owner, uint64_t generation, std::function<void()> fn) {
    queue_.push(Event{std::max(at_ms, now_ms_), next_seq_++, owner, generation, std::move(fn)});
  }

  // Pending events of `owner` are dropped; later ones run (a restarted process).
  void crash(int owner) { ++generations_[owner]; }
  uint64_t generation(int owner) const {
    const auto it = generations_.find(owner);
    return it == generations_.end() ? 0 : it->second;
  }

  // Runs the next event due at or before `until_ms`; false when there is none (time then moves
  // to `until_ms`).
  bool run_next(int64_t until_ms) {
    while (!queue_.empty() && queue_.top().at_ms <= until_ms) {
      Event e = queue_.top();
      queue_.pop();
      advance_to(e.at_ms);
      if (e.generation != generation(e.owner)) continue;  // its process crashed
      e.fn();
      ++events_;
      return true;
    }
    advance_to(until_ms);
    return false;
  }
  uint64_t events() const { return events_; }
  // Drops every pending event (tear-down).
  void clear() { queue_ = {}; }

 private:
  struct Event {
    int64_t at_ms;
    uint64_t seq;
    int owner;
    uint64_t generation;
    std::function<void()> fn;
    bool operator>(const Event& o) const {
      return at_ms != o.at_ms ? at_ms > o.at_ms : seq > o.seq;
    }
  };
  void advance_to(int64_t t) {
    if (t > now_ms_) {
      clock_.advance_ms(t - now_ms_);
      now_ms_ = t;
    }
  }

  ManualClock& clock_;
  int64_t now_ms_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t events_ = 0;
  std::map<int, uint64_t> generations_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;
};

// An Executor of one simulated process.
class SimExecutor final : public Executor {
 public:
  SimExecutor(SimScheduler& scheduler, int owner) : scheduler_(scheduler), owner_(owner) {}

  void post(std::function<void()> task) override { scheduler_.after(0, owner_, std::move(task)); }

  std::shared_ptr<TimerHandle> schedule_after(int64_t delay_ms,
                                              std::function<void()> task) override {
    auto timer = std::make_shared<Timer>();
    scheduler_.after(delay_ms, owner_, [timer, task = std::move(task)] {
      if (timer->state == Timer::kPending) {
        timer->state = Timer::kFired;
        task();
      }
    });
    return timer;
  }

 private:
  struct Timer final : TimerHandle {
    enum State { kPending, kFired, kCancelled };
    bool cancel() override {
      if (state != kPending) return false;
      state = kCancelled;
      return true;
    }
    State state = kPending;
  };
  SimScheduler& scheduler_;
  int owner_;
};

}  // namespace ferry::test
