#include "controller/quorum/liveness_probe.h"

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace ferry::controller {

namespace {

using boost::asio::ip::tcp;

class Probe : public std::enable_shared_from_this<Probe> {
 public:
  Probe(const boost::asio::any_io_executor& executor, std::vector<metadata::Endpoint> endpoints,
        std::function<void(ProbeVerdict)> done)
      : resolver_(executor),
        socket_(executor),
        timer_(executor),
        endpoints_(std::move(endpoints)),
        done_(std::move(done)) {}

  void start(int64_t timeout_ms) {
    timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->finish(ProbeVerdict::kInconclusive);
    });
    next_endpoint();
  }

 private:
  void next_endpoint() {
    if (next_ == endpoints_.size()) {
      // No endpoint at all proves nothing.
      return finish(endpoints_.empty() ? ProbeVerdict::kInconclusive : ProbeVerdict::kGone);
    }
    const metadata::Endpoint& e = endpoints_[next_++];
    if (e.host.empty() || e.port <= 0) return finish(ProbeVerdict::kInconclusive);
    resolver_.async_resolve(
        e.host, std::to_string(e.port), tcp::resolver::numeric_service,
        [self = shared_from_this()](const boost::system::error_code& ec,
                                    const tcp::resolver::results_type& results) {
          if (self->finished_) return;
          if (ec || results.empty()) return self->finish(ProbeVerdict::kInconclusive);
          for (const auto& entry : results)
            self->addresses_.push_back(entry.endpoint());
          self->next_address();
        });
  }

  void next_address() {
    if (addresses_.empty()) return next_endpoint();
    const tcp::endpoint address = addresses_.back();
    addresses_.pop_back();
    boost::system::error_code ignored;
    socket_.close(ignored);
    socket_.async_connect(address,
                          [self = shared_from_this()](const boost::system::error_code& ec) {
                            if (self->finished_) return;
                            if (ec == boost::asio::error::connection_refused) {
                              return self->next_address();
                            }
                            // Connected (someone listens), or a failure that is not a refusal.
                            self->finish(ProbeVerdict::kInconclusive);
                          });
  }

  void finish(ProbeVerdict verdict) {
    if (finished_) return;
    finished_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    resolver_.cancel();
    socket_.close(ignored);
    auto done = std::move(done_);
    done(verdict);
  }

  tcp::resolver resolver_;
  tcp::socket socket_;
  boost::asio::steady_timer timer_;
  std::vector<metadata::Endpoint> endpoints_;
  std::function<void(ProbeVerdict)> done_;
  size_t next_ = 0;
  std::vector<tcp::endpoint> addresses_;
  bool finished_ = false;
};

}  // namespace

void probe_endpoints(const boost::asio::any_io_executor& executor,
                     std::vector<metadata::Endpoint> endpoints, int64_t timeout_ms,
                     std::function<void(ProbeVerdict)> done) {
  std::make_shared<Probe>(executor, std::move(endpoints), std::move(done))->start(timeout_ms);
}

}  // namespace ferry::controller
