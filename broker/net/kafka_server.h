// The Kafka listener: accepts client connections and moves length-prefixed frames between
// sockets and a RequestDispatcher (CLIENTS.md section 4: int32 size, big-endian, then header
// and body).
//
// Per connection:
//  * requests are read and dispatched in order; several may be in flight (pipelining, up to
//    `max_in_flight_per_connection`), and responses are written strictly in request order,
//    whatever order their handlers finish in (kafka-python drops the connection otherwise);
//  * a frame larger than `max_request_bytes` (socket.request.max.bytes) or smaller than a
//    request header closes the connection, as Kafka does;
//  * a request answered with "no response" (acks=0) takes its place in the order without
//    writing anything;
//  * file regions in a response are written with sendfile(2);
//  * connections idle (no request and nothing in flight) for `idle_timeout_ms` are closed.
//
// Threading: the server runs on the io_context threads of the Executor it is built with;
// each connection is serialised on its own strand. A Responder may be completed from any
// thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/codec.h"
#include "common/bytes.h"
#include "common/error.h"
#include "common/executor.h"

namespace ferry::broker::net {

class IoRuntime;

// Completes one request. Exactly one of send / send_nothing / close must be called, once,
// from any thread.
class Responder {
 public:
  virtual ~Responder() = default;
  // `chunks` is the whole response frame body: response header + message (no size prefix).
  virtual void send(std::vector<kafka::Writer::Chunk> chunks) = 0;
  virtual void send_nothing() = 0;
  // A fatal protocol error: the connection is closed once earlier responses are written.
  virtual void close(std::string reason) = 0;
};

struct InboundRequest {
  Bytes frame;                 // header + body (no size prefix); owned by the request
  int64_t received_ms = 0;     // monotonic
  std::string client_address;  // "127.0.0.1:53122"
  std::string listener;        // the listener name ("PLAINTEXT")
  std::shared_ptr<Responder> responder;
};

class RequestDispatcher {
 public:
  virtual ~RequestDispatcher() = default;
  // Called on the connection's strand, in request order. Must not block.
  virtual void dispatch(InboundRequest request) = 0;
};

struct ServerOptions {
  std::string listener_name = "PLAINTEXT";
  std::string host = "127.0.0.1";
  uint16_t port = 9092;  // 0: any free port
  int32_t max_request_bytes = 100 * 1024 * 1024;
  int64_t idle_timeout_ms = 600'000;
  int max_in_flight_per_connection = 64;
};

class KafkaServer {
 public:
  KafkaServer(IoRuntime& runtime, RequestDispatcher& dispatcher, ServerOptions options);
  ~KafkaServer();
  KafkaServer(const KafkaServer&) = delete;
  KafkaServer& operator=(const KafkaServer&) = delete;

  // Binds and listens (connections wait in the backlog). Returns the bound port.
  Result<uint16_t> listen();
  // Starts accepting connections (after listen()).
  void start_accepting();
  // listen() + start_accepting().
  Result<uint16_t> start();
  // Stops accepting; existing connections get up to `drain_ms` to finish in-flight requests,
  // then are closed. Blocks until every connection is gone. Idempotent.
  void stop(int64_t drain_ms);
  size_t connection_count() const;

  struct Impl;  // in kafka_server.cc

 private:
  std::shared_ptr<Impl> impl_;
};

// The io_context and its threads. Owns the Executor used by handlers.
class IoRuntime {
 public:
  explicit IoRuntime(int threads);
  ~IoRuntime();  // stops and joins
  Executor& executor();
  void stop();     // stops the io_context and joins the threads; idempotent
  void* native();  // boost::asio::io_context* (for .cc files that include Asio)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::broker::net
