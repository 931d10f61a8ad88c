// An outgoing Kafka connection from one broker to another (replica fetches): length-prefixed
// frames out, response frames back, in order (CLIENTS.md section 4).
//
// Connects lazily on the first request. Requests are written in order and their responses
// matched by order (a Kafka broker answers a connection's requests in order); the correlation id
// inside each frame is the caller's business. A request that gets no answer within its timeout,
// a response frame larger than `max_response_bytes`, or any socket error fails every request in
// flight with NETWORK_EXCEPTION / REQUEST_TIMED_OUT and closes the connection for good: callers
// make a new one.
//
// Threading: thread-safe; callbacks run on the IoRuntime's threads, exactly once each.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/bytes.h"
#include "common/error.h"

namespace ferry::broker::net {

class IoRuntime;

struct ClientOptions {
  int64_t connect_timeout_ms = 3000;
  int32_t max_response_bytes = 100 * 1024 * 1024;
};

class KafkaClientConnection {
 public:
  KafkaClientConnection(IoRuntime& runtime, std::string host, uint16_t port, ClientOptions options);
  ~KafkaClientConnection();  // closes
  KafkaClientConnection(const KafkaClientConnection&) = delete;
  KafkaClientConnection& operator=(const KafkaClientConnection&) = delete;

  // Sends `frame` (request header + body, no size prefix); `done` gets the response frame
  // (response header + body) or the error, within `timeout_ms` (plus the connect time).
  void send(Bytes frame, int64_t timeout_ms, std::function<void(Result<Bytes>)> done);
  // Fails requests in flight with NETWORK_EXCEPTION and closes. Idempotent.
  void close();

  struct Impl;  // in kafka_client.cc

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace ferry::broker::net
