// Tasks and timers as an injected interface, so drivers (partitions, fetchers, the broker's
// heartbeat) never see Boost.Asio and tests can run them on a manual executor.
//
// The production implementation runs over the Kafka listener's io_context
// (broker/net/io_runtime.cc); tests use tests/support/manual_executor.h.
//
// Thread-safety: every method may be called from any thread. Tasks and timer callbacks run on
// the executor's threads (any of them, concurrently); callers that need serialisation bring
// their own lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace ferry {

// A pending timer. cancel() guarantees the callback has not run and will not run, or returns
// false when it has already started/finished. Dropping the handle does not cancel.
class TimerHandle {
 public:
  virtual ~TimerHandle() = default;
  virtual bool cancel() = 0;
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual void post(std::function<void()> task) = 0;
  virtual std::shared_ptr<TimerHandle> schedule_after(int64_t delay_ms,
                                                      std::function<void()> task) = 0;
};

}  // namespace ferry
