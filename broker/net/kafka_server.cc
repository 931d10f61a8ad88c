#include "broker/net/kafka_server.h"

#include <sys/sendfile.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include <utility>  // Boost 1.74 Asio uses std::exchange without including it

#include <boost/asio.hpp>

#include "common/log.h"

namespace ferry::broker::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

int64_t monotonic_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One request's place in the response order.
struct Slot {
  enum class Kind { kPending, kResponse, kNothing, kClose };
  Kind kind = Kind::kPending;
  std::vector<kafka::Writer::Chunk> chunks;
  std::string reason;
};

class Connection;

}  // namespace

struct KafkaServer::Impl : std::enable_shared_from_this<KafkaServer::Impl> {
  Impl(asio::io_context& io_context, RequestDispatcher& d, ServerOptions o)
      : io(io_context),
        acceptor(io_context),
        dispatcher(d),
        options(std::move(o)),
        reaper(io_context),
        log(logger("net")) {}

  void accept();
  void schedule_reaper();
  void add(const std::shared_ptr<Connection>& c);
  void remove(const Connection* c);

  asio::io_context& io;
  tcp::acceptor acceptor;
  RequestDispatcher& dispatcher;
  ServerOptions options;
  asio::steady_timer reaper;
  std::shared_ptr<spdlog::logger> log;

  mutable std::mutex mutex;
  std::condition_variable all_closed;
  std::map<const Connection*, std::weak_ptr<Connection>> connections;
  bool stopping = false;
};

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<KafkaServer::Impl> server)
      : socket_(std::move(socket)),
        strand_(asio::make_strand(server->io)),
        server_(std::move(server)) {
    boost::system::error_code ec;
    const auto remote = socket_.remote_endpoint(ec);
    address_ = ec ? "unknown" : remote.address().to_string() + ":" + std::to_string(remote.port());
    socket_.set_option(tcp::no_delay(true), ec);
    socket_.native_non_blocking(true, ec);  // for sendfile(2) on the native handle
    last_activity_ms_ = monotonic_ms();
  }

  void start() {
    asio::dispatch(strand_, [self = shared_from_this()] { self->read_size(); });
  }

  // Completes `slot` (any thread).
  void complete(const std::shared_ptr<Slot>& slot, Slot::Kind kind,
                std::vector<kafka::Writer::Chunk> chunks, std::string reason) {
    asio::post(strand_, [self = shared_from_this(), slot, kind, chunks = std::move(chunks),
                         reason = std::move(reason)]() mutable {
      slot->kind = kind;
      slot->chunks = std::move(chunks);
      slot->reason = std::move(reason);
      self->pump_writes();
    });
  }

  // Closes when idle for longer than `idle_ms`; on stop, when nothing is in flight.
  void check_idle(int64_t idle_ms) {
    asio::post(strand_, [self = shared_from_this(), idle_ms] {
      if (self->slots_.empty() && monotonic_ms() - self->last_activity_ms_ > idle_ms) {
        self->close("idle for longer than connections.max.idle.ms");
      }
    });
  }
  void drain() {
    asio::post(strand_, [self = shared_from_this()] {
      self->draining_ = true;
      if (self->slots_.empty()) self->close("server stopping");
    });
  }
  void force_close() {
    asio::post(strand_, [self = shared_from_this()] { self->close("server stopped"); });
  }

 private:
  void read_size() {
    if (closed_ || draining_) return;
    asio::async_read(socket_, asio::buffer(size_buf_),
                     asio::bind_executor(
                         strand_, [self = shared_from_this()](const boost::system::error_code& ec,
                                                              size_t) { self->on_size(ec); }));
  }

  void on_size(const boost::system::error_code& ec) {
    if (ec) return close(ec == asio::error::eof ? "" : "read: " + ec.message());
    const int32_t size = static_cast<int32_t>(load_be32(size_buf_));
    if (size < 8 || size > server_->options.max_request_bytes) {
      return close(fmt::format("frame of {} bytes is outside [8, socket.request.max.bytes={}]",
                               size, server_->options.max_request_bytes));
    }
    auto frame = std::make_shared<Bytes>(static_cast<size_t>(size));
    asio::async_read(
        socket_, asio::buffer(*frame),
        asio::bind_executor(strand_, [self = shared_from_this(), frame](
                                         const boost::system::error_code& ec2, size_t) {
          self->on_frame(ec2, std::move(*frame));
        }));
  }

  void on_frame(const boost::system::error_code& ec, Bytes frame);

  void pump_writes() {
    while (!writing_ && !closed_ && !slots_.empty()) {
      Slot& front = *slots_.front();
      if (front.kind == Slot::Kind::kPending) return;
      if (front.kind == Slot::Kind::kClose) return close(front.reason);
      if (front.kind == Slot::Kind::kNothing) {
        finish_front();
        continue;
      }
      write_front();
    }
  }

  void finish_front() {
    slots_.pop_front();
    last_activity_ms_ = monotonic_ms();
    if (draining_ && slots_.empty()) return close("server stopping");
    if (read_paused_ &&
        static_cast<int>(slots_.size()) < server_->options.max_in_flight_per_connection) {
      read_paused_ = false;
      paused_self_.reset();
      read_size();
    }
  }

  // Writes the size prefix and the chunks of the front slot, memory runs with one gathered
  // write and file regions with sendfile.
  void write_front() {
    Slot& front = *slots_.front();
    size_t total = 0;
    for (const auto& c : front.chunks)
      total += c.file ? c.file->length : c.bytes.size();
    store_be32(out_prefix_, static_cast<uint32_t>(total));
    writing_ = true;
    chunk_index_ = 0;
    prefix_pending_ = true;
    write_next();
  }

  void write_next();
  void send_file(kafka::FileRegion region, int64_t done);

  void on_written(const boost::system::error_code& ec) {
    if (ec) return close("write: " + ec.message());
    write_next();
  }

  void close(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    if (!reason.empty()) server_->log->debug("closing connection {}: {}", address_, reason);
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    slots_.clear();
    paused_self_.reset();
    server_->remove(this);
  }

  tcp::socket socket_;
  asio::strand<asio::io_context::executor_type> strand_;
  std::shared_ptr<KafkaServer::Impl> server_;
  std::string address_;
  uint8_t size_buf_[4] = {};
  uint8_t out_prefix_[4] = {};
  std::deque<std::shared_ptr<Slot>> slots_;
  size_t chunk_index_ = 0;
  bool prefix_pending_ = false;
  bool writing_ = false;
  bool read_paused_ = false;
  // While reading is paused nothing else may hold the connection (the server and the responders
  // hold weak pointers, and no read is pending): this keeps it alive until a response resumes
  // reading. Without it a connection with max_in_flight_per_connection requests parked (acks=all
  // waiting on a stuck high watermark) was destroyed, closing its socket without a word.
  std::shared_ptr<Connection> paused_self_;
  bool draining_ = false;
  bool closed_ = false;
  int64_t last_activity_ms_ = 0;
};

class ConnectionResponder final : public Responder {
 public:
  ConnectionResponder(std::weak_ptr<Connection> connection, std::shared_ptr<Slot> slot)
      : connection_(std::move(connection)), slot_(std::move(slot)) {}
  ~ConnectionResponder() override {
    // A handler that forgot to answer must not wedge the connection's response order.
    if (!done_.exchange(true)) {
      if (auto c = connection_.lock()) {
        c->complete(slot_, Slot::Kind::kClose, {}, "request dropped without a response");
      }
    }
  }
  void send(std::vector<kafka::Writer::Chunk> chunks) override {
    finish(Slot::Kind::kResponse, std::move(chunks), "");
  }
  void send_nothing() override { finish(Slot::Kind::kNothing, {}, ""); }
  void close(std::string reason) override { finish(Slot::Kind::kClose, {}, std::move(reason)); }

 private:
  void finish(Slot::Kind kind, std::vector<kafka::Writer::Chunk> chunks, std::string reason) {
    if (done_.exchange(true)) return;  // a second completion is a handler bug; ignore it
    if (auto c = connection_.lock()) c->complete(slot_, kind, std::move(chunks), std::move(reason));
  }
  std::weak_ptr<Connection> connection_;
  std::shared_ptr<Slot> slot_;
  std::atomic<bool> done_{false};
};

void Connection::on_frame(const boost::system::error_code& ec, Bytes frame) {
  if (ec) return close("read: " + ec.message());
  last_activity_ms_ = monotonic_ms();
  auto slot = std::make_shared<Slot>();
  slots_.push_back(slot);
  InboundRequest request;
  request.frame = std::move(frame);
  request.received_ms = last_activity_ms_;
  request.client_address = address_;
  request.listener = server_->options.listener_name;
  request.responder = std::make_shared<ConnectionResponder>(weak_from_this(), slot);
  server_->dispatcher.dispatch(std::move(request));
  if (static_cast<int>(slots_.size()) < server_->options.max_in_flight_per_connection) {
    read_size();
  } else {
    read_paused_ = true;
    paused_self_ = shared_from_this();
  }
}

void Connection::write_next() {
  if (closed_) return;
  Slot& front = *slots_.front();
  std::vector<asio::const_buffer> buffers;
  if (prefix_pending_) {
    buffers.emplace_back(asio::buffer(out_prefix_));
    prefix_pending_ = false;
  }
  while (chunk_index_ < front.chunks.size() && !front.chunks[chunk_index_].file) {
    buffers.emplace_back(asio::buffer(front.chunks[chunk_index_].bytes));
    ++chunk_index_;
  }
  if (!buffers.empty()) {
    asio::async_write(
        socket_, buffers,
        asio::bind_executor(strand_, [self = shared_from_this()](const boost::system::error_code& e,
                                                                 size_t) { self->on_written(e); }));
    return;
  }
  if (chunk_index_ < front.chunks.size()) {
    const kafka::FileRegion region = *front.chunks[chunk_index_].file;
    ++chunk_index_;
    return send_file(region, 0);
  }
  writing_ = false;
  finish_front();
  pump_writes();
}

void Connection::send_file(kafka::FileRegion region, int64_t done) {
  while (done < static_cast<int64_t>(region.length)) {
    off_t offset = region.offset + done;
    const ssize_t n = ::sendfile(socket_.native_handle(), region.fd, &offset,
                                 region.length - static_cast<size_t>(done));
    if (n > 0) {
      done += n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      socket_.async_wait(tcp::socket::wait_write,
                         asio::bind_executor(strand_, [self = shared_from_this(), region,
                                                       done](const boost::system::error_code& e) {
                           if (e) return self->close("wait for write: " + e.message());
                           self->send_file(region, done);
                         }));
      return;
    }
    // n == 0: the file is shorter than the region (truncated under us); the client would get a
    // short frame, so the connection cannot continue.
    return close(n == 0 ? "file region shorter than announced"
                        : std::string("sendfile: ") + std::strerror(errno));
  }
  write_next();
}

}  // namespace

void KafkaServer::Impl::add(const std::shared_ptr<Connection>& c) {
  std::lock_guard lock(mutex);
  connections[c.get()] = c;
}

void KafkaServer::Impl::remove(const Connection* c) {
  std::lock_guard lock(mutex);
  connections.erase(c);
  if (connections.empty()) all_closed.notify_all();
}

void KafkaServer::Impl::accept() {
  acceptor.async_accept(
      [self = shared_from_this()](const boost::system::error_code& ec, tcp::socket socket) {
        {
          std::lock_guard lock(self->mutex);
          if (self->stopping) return;
        }
        if (!ec) {
          auto connection = std::make_shared<Connection>(std::move(socket), self);
          self->add(connection);
          connection->start();
        } else if (ec != asio::error::operation_aborted) {
          self->log->warn("accept on {}:{} failed: {}", self->options.host, self->options.port,
                          ec.message());
        }
        if (ec != asio::error::operation_aborted) self->accept();
      });
}

void KafkaServer::Impl::schedule_reaper() {
  const int64_t period = std::clamp<int64_t>(options.idle_timeout_ms / 4, 10, 30'000);
  reaper.expires_after(std::chrono::milliseconds(period));
  reaper.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    std::vector<std::shared_ptr<Connection>> live;
    {
      std::lock_guard lock(self->mutex);
      if (self->stopping) return;
      for (auto& [_, weak] : self->connections) {
        if (auto c = weak.lock()) live.push_back(std::move(c));
      }
    }
    for (auto& c : live)
      c->check_idle(self->options.idle_timeout_ms);
    self->schedule_reaper();
  });
}

KafkaServer::KafkaServer(IoRuntime& runtime, RequestDispatcher& dispatcher, ServerOptions options)
    : impl_(std::make_shared<Impl>(*static_cast<asio::io_context*>(runtime.native()), dispatcher,
                                   std::move(options))) {}

KafkaServer::~KafkaServer() {
  stop(0);
}

Result<uint16_t> KafkaServer::start() {
  auto port = listen();
  if (port.ok()) start_accepting();
  return port;
}

void KafkaServer::start_accepting() {
  asio::post(impl_->io, [impl = impl_] {
    impl->accept();
    impl->schedule_reaper();
  });
}

Result<uint16_t> KafkaServer::listen() {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) {
    return Error(ErrorCode::INVALID_CONFIG,
                 fmt::format("listener host '{}' is not an IP address", impl_->options.host));
  }
  const tcp::endpoint endpoint(address, impl_->options.port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error(ErrorCode::KAFKA_STORAGE_ERROR,
                 fmt::format("cannot listen on {}:{}: {}", impl_->options.host, impl_->options.port,
                             ec.message()));
  }
  return impl_->acceptor.local_endpoint().port();
}

void KafkaServer::stop(int64_t drain_ms) {
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->stopping = true;
    for (auto& [_, weak] : impl_->connections) {
      if (auto c = weak.lock()) live.push_back(std::move(c));
    }
  }
  asio::post(impl_->io, [impl = impl_] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
    impl->reaper.cancel();
  });
  for (auto& c : live)
    c->drain();
  std::unique_lock lock(impl_->mutex);
  if (!impl_->all_closed.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(drain_ms, 0)),
                                  [&] { return impl_->connections.empty(); })) {
    for (auto& c : live)
      c->force_close();
    impl_->all_closed.wait_for(lock, std::chrono::seconds(5),
                               [&] { return impl_->connections.empty(); });
  }
}

size_t KafkaServer::connection_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->connections.size();
}

}  // namespace ferry::broker::net
