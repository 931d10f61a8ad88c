#include <atomic>
#include <thread>
#include <vector>

#include <utility>  // Boost 1.74 Asio uses std::exchange without including it

#include <boost/asio.hpp>

#include "broker/net/kafka_server.h"
#include "common/assert.h"

namespace ferry::net {

namespace asio = boost::asio;

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
};

class AsioExecutor final : public Executor {
 public:
  explicit AsioExecutor(asio::io_context& io) : io_(io) {}
  void post(std::function<void()> task) override { asio::post(io_, std::move(task)); }
  std::shared_ptr<TimerHandle> schedule_after(int64_t delay_ms,
                                              std::function<void()> task) override {
    auto timer = std::make_shared<AsioTimer>(io_);
    timer->timer.expires_after(std::chrono::milliseconds(std::max<int64_t>(0, delay_ms)));
    timer->timer.async_wait([timer, task = std::move(task)](const boost::system::error_code&) {
      if (timer->fire()) task();
    });
    return timer;
  }

 private:
  asio::io_context& io_;
};

}  // namespace

struct IoRuntime::Impl {
  explicit Impl(int threads) : work(asio::make_work_guard(io)), executor(io) {
    FERRY_ASSERT(threads > 0, "an io runtime needs at least one thread");
    for (int i = 0; i < threads; ++i) {
      workers.emplace_back([this] { io.run(); });
    }
  }
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  AsioExecutor executor;
  std::vector<std::thread> workers;
  std::atomic<bool> stopped{false};
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
  impl_->work.reset();
  impl_->io.stop();
  for (auto& t : impl_->workers) {
    if (t.joinable()) t.join();
  }
}

}  // namespace ferry::net
