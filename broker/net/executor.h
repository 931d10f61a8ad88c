// Timers and task posting for handlers and partitions, without exposing Boost.Asio in widely
// included headers. Implemented over an io_context (asio_executor.cc); tests may use their own.
//
// Thread-safety: every method may be called from any thread. Tasks and timer callbacks run on
// the executor's threads (any of them); callers that need serialisation bring their own lock
// or strand.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace ferry::net {

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

}  // namespace ferry::net
