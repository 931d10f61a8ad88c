// Time as an input (STYLE.md habit 2). Pure cores never read a clock: drivers pass `now_ms`
// or ticks in. Drivers take a `Clock&` so tests can substitute a ManualClock.
#pragma once

#include <atomic>
#include <cstdint>

namespace ferry {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, milliseconds since the Unix epoch (record timestamps, retention.ms).
  virtual int64_t wall_ms() const = 0;
  // Monotonic time in milliseconds from an arbitrary origin (timeouts, leases, segment.ms).
  virtual int64_t monotonic_ms() const = 0;
};

// The real clocks (CLOCK_REALTIME / CLOCK_MONOTONIC). Thread-safe.
class SystemClock final : public Clock {
 public:
  int64_t wall_ms() const override;
  int64_t monotonic_ms() const override;
  // A process-wide instance for code that has no injected clock (main(), tools).
  static SystemClock& instance();
};

// A clock that moves only when told. Thread-safe; both readings move together.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_wall_ms = 1'700'000'000'000, int64_t start_monotonic_ms = 0)
      : wall_(start_wall_ms), monotonic_(start_monotonic_ms) {}
  int64_t wall_ms() const override { return wall_.load(); }
  int64_t monotonic_ms() const override { return monotonic_.load(); }
  void advance_ms(int64_t delta) {
    wall_ += delta;
    monotonic_ += delta;
  }
  void set_wall_ms(int64_t value) { wall_ = value; }

 private:
  std::atomic<int64_t> wall_;
  std::atomic<int64_t> monotonic_;
};

}  // namespace ferry
