// A minimal synchronous Kafka client over Ferry's own codec, for process tests: send one
// request of any generated type and read its response, or send raw bytes to see how the broker
// copes with malformed input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "broker/protocol/codec.h"
#include "broker/protocol/generated/messages.h"
#include "broker/protocol/header.h"
#include "tests/support/tcp_client.h"

namespace ferry::test {

class KafkaTestClient {
 public:
  explicit KafkaTestClient(uint16_t port, int timeout_ms = 10'000) : tcp_(port, timeout_ms) {}
  bool connected() const { return tcp_.connected(); }
  TcpClient& tcp() { return tcp_; }

  // Encodes `request` with the right header for `version`.
  template <typename Req>
  std::vector<uint8_t> encode(const Req& request, int16_t version, int32_t correlation_id) {
    broker::kafka::Writer w;
    broker::kafka::RequestHeader h{
        Req::kApiKey, version, correlation_id, std::string("ferry-test"), {}};
    broker::kafka::write_request_header(
        w, broker::kafka::request_header_version(Req::kFlexibleFrom, version), h);
    request.encode(w, version);
    return w.take_bytes();
  }

  // Sends `request` and decodes the response; nullopt on timeout, close or a bad response.
  template <typename Req, typename Resp>
  std::optional<Resp> call(const Req& request, int16_t version) {
    const int32_t id = next_correlation_id_++;
    if (!tcp_.send_frame(encode(request, version, id))) return std::nullopt;
    return read_response<Resp>(version, id);
  }

  template <typename Resp>
  std::optional<Resp> read_response(int16_t version, int32_t expected_id) {
    auto frame = tcp_.read_frame();
    if (!frame) return std::nullopt;
    broker::kafka::Reader r(*frame);
    const int32_t id = broker::kafka::read_response_header(
        r, broker::kafka::response_header_version(Resp::kApiKey, Resp::kFlexibleFrom, version));
    if (id != expected_id) return std::nullopt;
    Resp response;
    response.decode(r, version);
    if (!r.ok()) return std::nullopt;
    return response;
  }

  int32_t next_correlation_id() { return next_correlation_id_++; }

 private:
  TcpClient tcp_;
  int32_t next_correlation_id_ = 1;
};

}  // namespace ferry::test
