// One Kafka request being handled: its header, its frame (which owns the body bytes, so decoded
// Produce records can be modified in place), the broker it reached, and how to answer.
//
// Handlers receive a RequestContextPtr, decode the body with decode<Req>(), do their work
// (possibly asynchronously, keeping the pointer alive), and answer exactly once with
// respond(), respond_nothing() (acks=0) or close_connection(). A context dropped without an
// answer closes the connection (so a handler bug cannot wedge the response order).
#pragma once

#include <memory>
#include <string>

#include "broker/net/kafka_server.h"
#include "broker/protocol/codec.h"
#include "broker/protocol/header.h"

namespace ferry::broker {
class Broker;
}

namespace ferry::broker::kafka {

struct ApiEntry;

class RequestContext {
 public:
  RequestContext(broker::Broker& broker, const ApiEntry& api, net::InboundRequest request,
                 RequestHeader header, size_t body_offset);

  const RequestHeader& header() const { return header_; }
  int16_t version() const { return header_.api_version; }
  const ApiEntry& api() const { return api_; }
  broker::Broker& broker() const { return broker_; }
  const std::string& listener() const { return request_.listener; }
  const std::string& client_address() const { return request_.client_address; }
  std::string client_id() const { return header_.client_id.value_or(""); }
  int64_t received_ms() const { return request_.received_ms; }

  // Decodes the body for this request's version. A malformed body closes the connection (as
  // Kafka does) with the reason logged, and returns false.
  template <typename Req>
  bool decode(Req& out) {
    Reader r(std::span<uint8_t>(request_.frame).subspan(body_offset_));
    out.decode(r, version());
    if (!r.ok()) {
      reject_malformed(r.failure());
      return false;
    }
    return true;
  }

  template <typename Resp>
  void respond(const Resp& response) {
    Writer w;
    write_header(w);
    response.encode(w, version());
    send(w);
  }
  void respond_nothing();
  void close_connection(std::string reason);

 private:
  void write_header(Writer& w) const;
  void send(Writer& w);
  void reject_malformed(const std::string& why);

  broker::Broker& broker_;
  const ApiEntry& api_;
  net::InboundRequest request_;
  RequestHeader header_;
  size_t body_offset_;
};

using RequestContextPtr = std::shared_ptr<RequestContext>;

}  // namespace ferry::broker::kafka
