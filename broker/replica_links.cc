#include "broker/replica_links.h"

#include <atomic>
#include <map>

#include <fmt/format.h>

#include "broker/net/kafka_client.h"
#include "broker/protocol/generated/messages.h"
#include "broker/protocol/header.h"

namespace ferry::broker {

namespace {

using kafka::FetchRequest;
using kafka::FetchResponse;
using replication::ReplicaFetchRequest;
using replication::ReplicaFetchResponse;

// v17: topic ids (v13+), ReplicaState (v15+), flexible, so FerryReplica can ride along.
constexpr int16_t kReplicaFetchVersion = 17;

Bytes encode_fetch(const ReplicaFetchRequest& request, int32_t correlation_id, NodeId self) {
  FetchRequest fetch;
  fetch.replica_state.replica_id = request.replica_id.value();
  fetch.replica_state.replica_epoch = request.broker_epoch.value();
  fetch.max_wait_ms = request.max_wait_ms;
  fetch.min_bytes = request.min_bytes;
  fetch.max_bytes = request.max_bytes;
  std::map<Uuid, size_t> topic_index;
  for (const auto& p : request.partitions) {
    auto [it, added] = topic_index.emplace(p.topic_id, fetch.topics.size());
    if (added) fetch.topics.emplace_back().topic_id = p.topic_id;
    auto& out = fetch.topics[it->second].partitions.emplace_back();
    out.partition = p.partition;
    out.current_leader_epoch = p.position.current_leader_epoch.value();
    out.fetch_offset = p.position.fetch_offset.value();
    out.last_fetched_epoch = p.position.last_fetched_epoch.value();
    out.log_start_offset = p.position.log_start.value();
    out.partition_max_bytes = p.max_bytes;
    out.ferry_replica.durable_end_offset = p.position.durable_end.value();
    out.ferry_replica.high_watermark = p.position.high_watermark.value();
  }
  kafka::Writer w;
  kafka::RequestHeader header{FetchRequest::kApiKey,
                              kReplicaFetchVersion,
                              correlation_id,
                              fmt::format("ferry-replica-{}", self),
                              {}};
  kafka::write_request_header(
      w, kafka::request_header_version(FetchRequest::kFlexibleFrom, kReplicaFetchVersion), header);
  fetch.encode(w, kReplicaFetchVersion);
  return w.take_bytes();
}

Result<ReplicaFetchResponse> decode_fetch(std::shared_ptr<Bytes> frame, int32_t correlation_id) {
  kafka::Reader r(*frame);
  const int32_t id = kafka::read_response_header(
      r, kafka::response_header_version(FetchResponse::kApiKey, FetchResponse::kFlexibleFrom,
                                        kReplicaFetchVersion));
  auto response = std::make_shared<FetchResponse>();
  response->decode(r, kReplicaFetchVersion);
  if (!r.ok() || id != correlation_id) {
    return Error(ErrorCode::CORRUPT_MESSAGE,
                 r.ok() ? fmt::format("correlation id {} answered {}", id, correlation_id)
                        : fmt::format("bad Fetch response: {}", r.failure()));
  }
  ReplicaFetchResponse out;
  out.error = static_cast<ErrorCode>(response->error_code);
  for (auto& topic : response->responses) {
    for (auto& p : topic.partitions) {
      auto& part = out.partitions.emplace_back();
      part.topic_id = topic.topic_id;
      part.partition = p.partition_index;
      part.answer.error = static_cast<ErrorCode>(p.error_code);
      part.answer.high_watermark = Offset(p.high_watermark);
      part.answer.log_start = Offset(p.log_start_offset);
      if (p.diverging_epoch.epoch >= 0 || p.diverging_epoch.end_offset >= 0) {
        part.answer.diverging = storage::EpochEndOffset{LeaderEpoch(p.diverging_epoch.epoch),
                                                        Offset(p.diverging_epoch.end_offset)};
      }
      const auto view = p.records.mutable_view();
      part.records = ByteSpan(view.data(), view.size());
      part.answer.has_records = !view.empty();
    }
  }
  // The records are views into the frame: keep it (and the decoded response) alive with them.
  out.owner = std::make_shared<std::pair<std::shared_ptr<Bytes>, std::shared_ptr<FetchResponse>>>(
      std::move(frame), std::move(response));
  return out;
}

class KafkaReplicaFetchClient final : public replication::ReplicaFetchClient {
 public:
  KafkaReplicaFetchClient(net::IoRuntime& runtime, NodeId self,
                          const replication::BrokerEndpoint& endpoint, int64_t timeout_ms)
      : self_(self),
        timeout_ms_(timeout_ms),
        connection_(runtime, endpoint.host, static_cast<uint16_t>(endpoint.port),
                    net::ClientOptions{}) {}

  void fetch(const ReplicaFetchRequest& request,
             std::function<void(Result<ReplicaFetchResponse>)> done) override {
    const int32_t id = next_correlation_id_++;
    connection_.send(encode_fetch(request, id, self_), request.max_wait_ms + timeout_ms_,
                     [done = std::move(done), id](Result<Bytes> frame) {
                       if (!frame.ok()) return done(std::move(frame).error());
                       done(decode_fetch(std::make_shared<Bytes>(std::move(*frame)), id));
                     });
  }

  void close() override { connection_.close(); }

 private:
  const NodeId self_;
  const int64_t timeout_ms_;
  std::atomic<int32_t> next_correlation_id_{1};
  net::KafkaClientConnection connection_;
};

}  // namespace

std::unique_ptr<replication::ReplicaFetchClient> KafkaReplicaFetchClients::connect(
    NodeId broker, const replication::BrokerEndpoint& endpoint) {
  (void)broker;  // the endpoint says where; the id is in the fetcher's logs
  return std::make_unique<KafkaReplicaFetchClient>(runtime_, self_, endpoint, socket_timeout_ms_);
}

void ControllerIsrChannel::alter_partition(
    const Uuid& topic_id, int32_t partition, const replication::IsrProposal& proposal,
    std::function<void(Result<replication::PartitionAssignment>)> done) {
  controller::AlterPartitionRequest request;
  request.broker_id = self_;
  request.broker_epoch = broker_epoch_();
  request.topic_id = topic_id;
  request.partition = partition;
  request.leader_epoch = proposal.leader_epoch;
  request.partition_epoch = proposal.partition_epoch;
  request.new_isr = proposal.new_isr;
  request.new_isr_epochs = proposal.member_epochs;
  controller_.alter_partition(
      std::move(request), [done = std::move(done)](controller::AlterPartitionReply reply) {
        if (reply.error != ErrorCode::NONE) return done(Error(reply.error, reply.message));
        const auto& p = reply.partition;
        done(replication::PartitionAssignment{p.replicas, p.isr, p.leader, p.leader_epoch,
                                              p.partition_epoch});
      });
}

}  // namespace ferry::broker
