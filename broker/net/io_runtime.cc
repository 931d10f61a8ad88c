#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include <utility>  // Boost 1.74 Asio uses std::exchange without including it

#include <boost/asio.hpp>

#include "broker/net/kafka_server.h"
#include "common/assert.h"

namespace ferry::broker::net {

namespace asio = boost::asio;

// How long stop() lets the io threads finish what is left before stopping them.
constexpr int64_t kWindDownMs = 2000;

namespace {

class AsioTimer final : public TimerHandle {
 public:
  enum State : int { kPending, kFired, kCancelled };
  explicit AsioTimer(asio::io_context& io) : timer(io) {}
  bool cancel() override {
    int expected = kPending;
    // The timer itself is left to expire harmlessly: cancelling an Asio timer from another
    // thread than the one completing it is not safe, and the state flag is what matters.
    return state.compare_exchange_strong(expected, kCancelled);
  }
  bool fire() {
    int expected = kPending;
    return state.compare_exchange_strong(expected, kFired);
  }
  asio::steady_timer timer;
  std::atomic<int> state{kPending};
  std::list<std::weak_ptr<AsioTimer>>::iterator registered;  // in AsioExecutor::timers_
};

class AsioExecutor final : public Executor {
 public:
  explicit AsioExecutor(asio::io_context& io) : io_(io) {}
  void post(std::function<void()> task) override { asio::post(io_, std::move(task)); }
  std::shared_ptr<TimerHandle> schedule_after(int64_t delay_ms,
                                              std::function<void()> task) override {
    auto timer = std::make_shared<AsioTimer>(io_);
    // An Asio timer object is not thread-safe: every call on it (here, and cancel() in
    // cancel_all_timers on an io thread) happens under mutex_.
    std::lock_guard lock(mutex_);
    timer->registered = timers_.insert(timers_.end(), timer);
    if (closing_) {
      // Winding down: the task will not run, and the handler (with its captures) goes now.
      timer->cancel();
      delay_ms = 0;
    }
    timer->timer.expires_after(std::chrono::milliseconds(std::max<int64_t>(0, delay_ms)));
    timer->timer.async_wait(
        [this, timer, task = std::move(task)](const boost::system::error_code&) {
          {
            std::lock_guard lock(mutex_);
            timers_.erase(timer->registered);
          }
          if (timer->fire()) task();
        });
    return timer;
  }

  // Cancels every pending timer for real (its task will not run) so that its handler completes
  // now, on an io thread, while what the task refers to still exists; timers scheduled from now
  // on are cancelled at birth. Runs on an io thread.
  void cancel_all_timers() {
    std::vector<std::shared_ptr<AsioTimer>> live;  // released after the lock
    std::lock_guard lock(mutex_);
    closing_ = true;
    for (auto& weak : timers_) {
      auto t = weak.lock();
      if (!t) continue;
      t->cancel();
      t->timer.cancel();
      live.push_back(std::move(t));
    }
  }

 private:
  asio::io_context& io_;
  std::mutex mutex_;
  std::list<std::weak_ptr<AsioTimer>> timers_;  // scheduled, handler not run yet
  bool closing_ = false;                        // cancel_all_timers() has run
};

}  // namespace

struct IoRuntime::Impl {
  explicit Impl(int threads) : work(asio::make_work_guard(io)), executor(io) {
    FERRY_ASSERT(threads > 0, "an io runtime needs at least one thread");
    running = threads;
    for (int i = 0; i < threads; ++i) {
      workers.emplace_back([this] {
        io.run();
        std::lock_guard lock(mutex);
        if (--running == 0) all_returned.notify_all();
      });
    }
  }
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  AsioExecutor executor;
  std::vector<std::thread> workers;
  std::atomic<bool> stopped{false};
  std::mutex mutex;
  std::condition_variable all_returned;
  int running = 0;
};

IoRuntime::IoRuntime(int threads) : impl_(std::make_unique<Impl>(threads)) {}

IoRuntime::~IoRuntime() {
  stop();
}

Executor& IoRuntime::executor() {
  return impl_->executor;
}

void* IoRuntime::native() {
  return &impl_->io;
}

void IoRuntime::stop() {
  if (impl_->stopped.exchange(true)) return;
  // Wind down rather than abandon: handlers left in the io_context would be destroyed with it,
  // after the objects their captures point to (partitions, parked fetches, fetchers) are gone,
  // which crashed ferryd at exit. The owners have stopped issuing work by now; cancel what is
  // still scheduled and let the threads return by themselves once nothing is left (bounded: a
  // socket somebody left open keeps the context busy, then it is stopped as before).
  impl_->work.reset();
  asio::post(impl_->io, [impl = impl_.get()] { impl->executor.cancel_all_timers(); });
  {
    std::unique_lock lock(impl_->mutex);
    impl_->all_returned.wait_for(lock, std::chrono::milliseconds(kWindDownMs),
                                 [&] { return impl_->running == 0; });
  }
  impl_->io.stop();
  for (auto& t : impl_->workers) {
    if (t.joinable()) t.join();
  }
}

}  // namespace ferry::broker::net
