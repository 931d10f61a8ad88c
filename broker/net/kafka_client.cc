#include "broker/net/kafka_client.h"

#include <array>
#include <deque>

#include <utility>  // Boost 1.74 Asio uses std::exchange without including it

#include <fmt/format.h>
#include <boost/asio.hpp>

#include "broker/net/kafka_server.h"

namespace ferry::broker::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct KafkaClientConnection::Impl : std::enable_shared_from_this<KafkaClientConnection::Impl> {
  struct Pending {
    Bytes frame;
    int64_t timeout_ms = 0;
    std::function<void(Result<Bytes>)> done;
  };

  Impl(asio::io_context& io, std::string h, uint16_t p, ClientOptions o)
      : strand(asio::make_strand(io)),
        socket(strand),
        resolver(strand),
        timer(strand),
        host(std::move(h)),
        port(p),
        options(o) {}

  // Everything below runs on the strand.
  void enqueue(Pending pending) {
    if (closed) return pending.done(Error(ErrorCode::NETWORK_EXCEPTION, "connection closed"));
    to_write.push_back(std::move(pending));
    if (!connected && !connecting) return connect();
    if (connected && !writing) write_next();
  }

  void connect() {
    connecting = true;
    arm_timer(options.connect_timeout_ms, "connect");
    resolver.async_resolve(
        host, std::to_string(port),
        [self = shared_from_this()](const boost::system::error_code& ec,
                                    tcp::resolver::results_type results) {
          if (ec) return self->fail(ErrorCode::NETWORK_EXCEPTION, "resolve: " + ec.message());
          asio::async_connect(self->socket, results,
                              [self](const boost::system::error_code& e, const tcp::endpoint&) {
                                self->on_connected(e);
                              });
        });
  }

  void on_connected(const boost::system::error_code& ec) {
    connecting = false;
    if (closed) return;
    if (ec) return fail(ErrorCode::NETWORK_EXCEPTION, "connect: " + ec.message());
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    connected = true;
    timer.cancel();
    write_next();
  }

  void write_next() {
    if (to_write.empty() || closed) return;
    writing = true;
    Pending p = std::move(to_write.front());
    to_write.pop_front();
    const auto size = static_cast<uint32_t>(p.frame.size());
    auto buffer = std::make_shared<Bytes>();
    buffer->reserve(4 + p.frame.size());
    for (int shift = 24; shift >= 0; shift -= 8)
      buffer->push_back(static_cast<uint8_t>(size >> shift));
    buffer->insert(buffer->end(), p.frame.begin(), p.frame.end());
    awaiting.push_back({{}, p.timeout_ms, std::move(p.done)});
    if (awaiting.size() == 1) arm_timer(p.timeout_ms, "request");
    asio::async_write(
        socket, asio::buffer(*buffer),
        [self = shared_from_this(), buffer](const boost::system::error_code& ec, size_t) {
          self->writing = false;
          if (self->closed) return;  // see read_body
          if (ec) return self->fail(ErrorCode::NETWORK_EXCEPTION, "write: " + ec.message());
          if (!self->reading) self->read_size();
          self->write_next();
        });
  }

  void read_size() {
    if (awaiting.empty() || closed) return;
    reading = true;
    asio::async_read(
        socket, asio::buffer(size_buf),
        [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
          if (self->closed) return;  // see read_body
          if (ec) return self->fail(ErrorCode::NETWORK_EXCEPTION, "read: " + ec.message());
          uint32_t size = 0;
          for (uint8_t b : self->size_buf)
            size = (size << 8) | b;
          if (size < 4 || size > static_cast<uint32_t>(self->options.max_response_bytes)) {
            return self->fail(ErrorCode::CORRUPT_MESSAGE,
                              fmt::format("response frame of {} bytes", size));
          }
          self->read_body(size);
        });
  }

  void read_body(uint32_t size) {
    auto body = std::make_shared<Bytes>(size);
    asio::async_read(
        socket, asio::buffer(*body),
        [self = shared_from_this(), body](const boost::system::error_code& ec, size_t) {
          // A read that completed just before close() ran still arrives, with success: fail()
          // has already answered every request (awaiting is empty), so there is nothing to do.
          if (self->closed) return;
          if (ec) return self->fail(ErrorCode::NETWORK_EXCEPTION, "read: " + ec.message());
          self->reading = false;
          Pending done = std::move(self->awaiting.front());
          self->awaiting.pop_front();
          if (self->awaiting.empty()) {
            self->timer.cancel();
          } else {
            self->arm_timer(self->awaiting.front().timeout_ms, "request");
            self->read_size();
          }
          done.done(std::move(*body));
        });
  }

  void arm_timer(int64_t ms, const char* what) {
    timer.expires_after(std::chrono::milliseconds(std::max<int64_t>(ms, 1)));
    timer.async_wait([self = shared_from_this(), what](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled or re-armed
      self->fail(ErrorCode::REQUEST_TIMED_OUT, fmt::format("{} timed out", what));
    });
  }

  void fail(ErrorCode code, const std::string& why) {
    if (closed) return;
    closed = true;
    boost::system::error_code ignored;
    timer.cancel();
    resolver.cancel();
    socket.close(ignored);
    const std::string message = fmt::format("{}:{}: {}", host, port, why);
    std::deque<Pending> all;
    all.swap(awaiting);
    for (auto& p : to_write)
      all.push_back(std::move(p));
    to_write.clear();
    for (auto& p : all)
      p.done(Error(code, message));
  }

  asio::strand<asio::io_context::executor_type> strand;
  tcp::socket socket;
  tcp::resolver resolver;
  asio::steady_timer timer;
  const std::string host;
  const uint16_t port;
  const ClientOptions options;
  std::deque<Pending> to_write;
  std::deque<Pending> awaiting;  // written, waiting for their response (in order)
  std::array<uint8_t, 4> size_buf{};
  bool connecting = false;
  bool connected = false;
  bool writing = false;
  bool reading = false;
  bool closed = false;
};

KafkaClientConnection::KafkaClientConnection(IoRuntime& runtime, std::string host, uint16_t port,
                                             ClientOptions options)
    : impl_(std::make_shared<Impl>(*static_cast<asio::io_context*>(runtime.native()),
                                   std::move(host), port, options)) {}

KafkaClientConnection::~KafkaClientConnection() {
  close();
}

void KafkaClientConnection::send(Bytes frame, int64_t timeout_ms,
                                 std::function<void(Result<Bytes>)> done) {
  asio::post(impl_->strand, [impl = impl_, frame = std::move(frame), timeout_ms,
                             done = std::move(done)]() mutable {
    impl->enqueue({std::move(frame), timeout_ms, std::move(done)});
  });
}

void KafkaClientConnection::close() {
  asio::post(impl_->strand,
             [impl = impl_] { impl->fail(ErrorCode::NETWORK_EXCEPTION, "connection closed"); });
}

}  // namespace ferry::broker::net
