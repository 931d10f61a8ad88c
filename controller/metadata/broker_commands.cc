// Broker registration, heartbeats, fencing, AlterPartition and producer ids (see commands.h).
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "controller/metadata/commands.h"
#include "controller/metadata/partition_change.h"
#include "controller/metadata/placement.h"

namespace ferry::controller::metadata {

using controller::AllocateProducerIdsReply;
using controller::AlterPartitionReply;
using controller::AlterPartitionRequest;
using controller::BrokerHeartbeatReply;
using controller::BrokerHeartbeatRequest;
using controller::BrokerRegistrationReply;
using controller::BrokerRegistrationRequest;

// ---- Sessions -----------------------------------------------------------------------------------

void BrokerSessions::reset(const MetadataImage& image, int64_t now_ms) {
  last_contact_ms_.clear();
  gone_.clear();
  for (const auto& [id, broker] : image.brokers)
    last_contact_ms_[id] = now_ms;
}

bool BrokerSessions::has_valid_session(NodeId broker, int64_t now_ms) const {
  const auto it = last_contact_ms_.find(broker);
  return it != last_contact_ms_.end() && now_ms - it->second <= session_timeout_ms_ &&
         !gone_.contains(broker);
}

std::optional<NodeId> BrokerSessions::first_expired(const MetadataImage& image,
                                                    int64_t now_ms) const {
  for (const auto& [id, broker] : image.brokers) {
    if (broker.fenced) continue;
    if (!has_valid_session(id, now_ms)) return id;
  }
  return std::nullopt;
}

std::vector<NodeId> BrokerSessions::quiet(const MetadataImage& image, int64_t now_ms,
                                          int64_t quiet_ms) const {
  std::vector<NodeId> out;
  for (const auto& [id, broker] : image.brokers) {
    if (broker.fenced || gone_.contains(id)) continue;
    const auto it = last_contact_ms_.find(id);
    if (it == last_contact_ms_.end() || now_ms - it->second >= quiet_ms) out.push_back(id);
  }
  return out;
}

void BrokerSessions::mark_gone(NodeId broker, int64_t probe_started_ms) {
  const auto it = last_contact_ms_.find(broker);
  // Strictly before: a heartbeat received in the probe's first millisecond may have come from a
  // process that started listening just after the refused connect.
  if (it == last_contact_ms_.end() || it->second < probe_started_ms) gone_.insert(broker);
}

namespace {

// Who may lead or join an ISR once `broker` is (un)usable, on top of the image.
IsUsable usable_with(const MetadataImage& image, NodeId broker, bool broker_usable) {
  return [&image, broker, broker_usable](NodeId id) {
    return id == broker ? broker_usable : broker_is_usable(image, id);
  };
}

// Fence (and optionally mark in controlled shutdown): leadership and ISR changes, then the
// registration change (Kafka's order: partitions first, so no record leaves a fenced leader).
Records fence_records(const MetadataImage& image, const BrokerRegistration& broker,
                      bool controlled_shutdown, const CommandConfig& config) {
  Records records = changes_for_broker_leaving(
      image, broker.id, usable_with(image, broker.id, false), config.unclean_leader_election);
  records.push_back(
      make_broker_change(broker.id, broker.epoch, true,
                         controlled_shutdown ? std::optional<bool>(true) : std::optional<bool>()));
  return records;
}

Records unfence_records(const MetadataImage& image, const BrokerRegistration& broker,
                        const CommandConfig& config) {
  Records records;
  records.push_back(make_broker_change(broker.id, broker.epoch, false, std::nullopt));
  for (auto& r : changes_for_leaderless_partitions(image, usable_with(image, broker.id, true),
                                                   config.unclean_leader_election)) {
    records.push_back(std::move(r));
  }
  return records;
}

Status check_broker_epoch(const MetadataImage& image, NodeId id, BrokerEpoch epoch) {
  const BrokerRegistration* broker = image.broker(id);
  if (broker == nullptr) {
    return Error(ErrorCode::STALE_BROKER_EPOCH,
                 fmt::format("No broker registration found for broker id {}", id));
  }
  if (broker->epoch != epoch) {
    return Error(
        ErrorCode::STALE_BROKER_EPOCH,
        fmt::format("Expected broker epoch {}, but got broker epoch {}", broker->epoch, epoch));
  }
  return ok_status();
}

}  // namespace

// ---- Registration and heartbeats ----------------------------------------------------------------

Planned<BrokerRegistrationReply> plan_register_broker(const MetadataImage& image,
                                                      const BrokerRegistrationRequest& request,
                                                      LogIndex record_offset,
                                                      const CommandConfig& config,
                                                      BrokerSessions& sessions, int64_t now_ms) {
  Planned<BrokerRegistrationReply> out;
  if (request.broker_id < NodeId(0) || request.incarnation_id.is_zero()) {
    out.reply.error = ErrorCode::INVALID_REQUEST;
    out.reply.message = "A registration needs a non-negative broker id and an incarnation id.";
    return out;
  }
  if (const BrokerRegistration* existing = image.broker(request.broker_id)) {
    if (existing->incarnation_id == request.incarnation_id) {
      sessions.touch(request.broker_id, now_ms);  // a retried registration: same epoch
      out.reply.broker_epoch = existing->epoch;
      out.reply.committed_offset = image.offset;
      return out;
    }
    if (!existing->fenced && sessions.has_valid_session(request.broker_id, now_ms)) {
      out.reply.error = ErrorCode::DUPLICATE_BROKER_REGISTRATION;
      out.reply.message = "Another broker is registered with that broker id.";
      return out;
    }
  }
  BrokerRegistration broker;
  broker.id = request.broker_id;
  broker.epoch = BrokerEpoch(record_offset.value());
  broker.incarnation_id = request.incarnation_id;
  broker.endpoints = request.endpoints;
  broker.rack = request.rack;
  broker.fenced = true;
  if (const BrokerRegistration* existing = image.broker(request.broker_id);
      existing != nullptr && !existing->fenced) {
    // The previous incarnation's session expired but it was not fenced yet: its leaderships
    // must move now, in the same entry as the new registration.
    out.records = fence_records(image, *existing, false, config);
  }
  out.records.push_back(make_register_broker(broker));
  sessions.touch(request.broker_id, now_ms);
  out.reply.broker_epoch = broker.epoch;
  return out;
}

Planned<BrokerHeartbeatReply> plan_broker_heartbeat(const MetadataImage& image,
                                                    const BrokerHeartbeatRequest& request,
                                                    const CommandConfig& config,
                                                    BrokerSessions& sessions, int64_t now_ms) {
  Planned<BrokerHeartbeatReply> out;
  const BrokerRegistration* broker = image.broker(request.broker_id);
  if (broker == nullptr) {
    out.reply.error = ErrorCode::BROKER_ID_NOT_REGISTERED;
    out.reply.message = fmt::format("Broker {} is not registered.", request.broker_id);
    return out;
  }
  if (Status epoch = check_broker_epoch(image, request.broker_id, request.broker_epoch);
      !epoch.ok()) {
    out.reply.error = epoch.code();
    out.reply.message = epoch.error().message();
    return out;
  }
  sessions.touch(request.broker_id, now_ms);
  // Caught up: the broker's image includes its own registration record.
  out.reply.is_caught_up = request.current_metadata_offset.value() >= broker->epoch.value();
  out.reply.is_fenced = broker->fenced;
  if (request.want_shutdown) {
    if (!broker->fenced || !broker->in_controlled_shutdown) {
      out.records = fence_records(image, *broker, true, config);
    }
    out.reply.is_fenced = true;
    out.reply.should_shutdown = true;
  } else if (broker->fenced) {
    if (out.reply.is_caught_up && !request.want_fence) {
      out.records = unfence_records(image, *broker, config);
      out.reply.is_fenced = false;
    }
  } else if (request.want_fence) {
    out.records = fence_records(image, *broker, false, config);
    out.reply.is_fenced = true;
  }
  return out;
}

Records plan_fence_broker(const MetadataImage& image, NodeId broker_id,
                          const CommandConfig& config) {
  const BrokerRegistration* broker = image.broker(broker_id);
  if (broker == nullptr || broker->fenced) return {};
  return fence_records(image, *broker, false, config);
}

// ---- AlterPartition -----------------------------------------------------------------------------

namespace {

Error alter_error(ErrorCode code, std::string message) {
  return Error(code, std::move(message));
}

Status check_alter_partition(const MetadataImage& image, const AlterPartitionRequest& r,
                             const TopicImage& topic, const PartitionRegistration& p) {
  const std::string tp = fmt::format("{}-{}", topic.name, r.partition);
  if (r.leader_epoch > p.leader_epoch || r.partition_epoch > p.partition_epoch) {
    return alter_error(
        ErrorCode::NOT_CONTROLLER,
        fmt::format("{}: the request's epochs (leader {}, partition {}) are newer "
                    "than this controller's ({}, {})",
                    tp, r.leader_epoch, r.partition_epoch, p.leader_epoch, p.partition_epoch));
  }
  if (r.leader_epoch < p.leader_epoch) {
    return alter_error(ErrorCode::FENCED_LEADER_EPOCH,
                       fmt::format("{}: the current leader epoch is {}, not {}", tp, p.leader_epoch,
                                   r.leader_epoch));
  }
  if (r.broker_id != p.leader) {
    return alter_error(ErrorCode::INVALID_REQUEST,
                       fmt::format("{}: broker {} is not the leader (the leader is {})", tp,
                                   r.broker_id, p.leader));
  }
  if (r.partition_epoch < p.partition_epoch) {
    return alter_error(ErrorCode::INVALID_UPDATE_VERSION,
                       fmt::format("{}: the current partition epoch is {}, not {}", tp,
                                   p.partition_epoch, r.partition_epoch));
  }
  std::set<NodeId> unique(r.new_isr.begin(), r.new_isr.end());
  const bool within = std::all_of(r.new_isr.begin(), r.new_isr.end(), [&](NodeId id) {
    return std::find(p.replicas.begin(), p.replicas.end(), id) != p.replicas.end();
  });
  if (r.new_isr.empty() || unique.size() != r.new_isr.size() || !within) {
    return alter_error(ErrorCode::INVALID_REQUEST,
                       fmt::format("{}: the ISR {} is not a set of the replicas {}", tp,
                                   format_nodes(r.new_isr), format_nodes(p.replicas)));
  }
  if (!unique.contains(p.leader)) {
    return alter_error(ErrorCode::INVALID_REQUEST,
                       fmt::format("{}: the ISR {} does not include the leader {}", tp,
                                   format_nodes(r.new_isr), p.leader));
  }
  for (size_t i = 0; i < r.new_isr.size(); ++i) {
    const NodeId id = r.new_isr[i];
    const bool already = std::find(p.isr.begin(), p.isr.end(), id) != p.isr.end();
    if (!already && !broker_is_usable(image, id)) {
      return alter_error(
          ErrorCode::INELIGIBLE_REPLICA,
          fmt::format("{}: replica {} is fenced, shutting down or not registered", tp, id));
    }
    // KIP-903: the leader saw this replica fetch with an epoch the controller no longer has
    // registered: it restarted (maybe with an empty or partial disk) and must catch up again.
    const BrokerRegistration* broker = image.broker(id);
    if (i < r.new_isr_epochs.size() && r.new_isr_epochs[i].value() >= 0 && broker != nullptr &&
        broker->epoch != r.new_isr_epochs[i]) {
      return alter_error(ErrorCode::INELIGIBLE_REPLICA,
                         fmt::format("{}: replica {} fetched with broker epoch {} but is "
                                     "registered with epoch {}",
                                     tp, id, r.new_isr_epochs[i], broker->epoch));
    }
  }
  return ok_status();
}

}  // namespace

Planned<AlterPartitionReply> plan_alter_partition(const MetadataImage& image,
                                                  const AlterPartitionRequest& request) {
  Planned<AlterPartitionReply> out;
  auto fail = [&](const Error& e) {
    out.reply.error = e.code();
    out.reply.message = e.message();
    return out;
  };
  if (Status s = check_broker_epoch(image, request.broker_id, request.broker_epoch); !s.ok()) {
    return fail(s.error());
  }
  const TopicImage* topic = image.topic(request.topic_id);
  if (topic == nullptr) return fail(Error(ErrorCode::UNKNOWN_TOPIC_ID));
  if (request.partition < 0 ||
      request.partition >= static_cast<int32_t>(topic->partitions.size())) {
    return fail(Error(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
  }
  const PartitionRegistration& p = topic->partitions[static_cast<size_t>(request.partition)];
  out.reply.partition = p;
  if (Status s = check_alter_partition(image, request, *topic, p); !s.ok()) return fail(s.error());
  if (request.new_isr == p.isr) return out;  // nothing to change: the current state
  proto::MetadataRecord record;
  auto* change = record.mutable_partition_change();
  change->set_topic_id(uuid_to_bytes(topic->id));
  change->set_partition_id(request.partition);
  append_node_ids(request.new_isr, change->mutable_isr()->mutable_ids());
  out.records.push_back(std::move(record));
  out.reply.partition.isr = request.new_isr;
  ++out.reply.partition.partition_epoch;
  return out;
}

// ---- Producer ids -------------------------------------------------------------------------------

Planned<AllocateProducerIdsReply> plan_allocate_producer_ids(const MetadataImage& image,
                                                             NodeId broker, BrokerEpoch epoch,
                                                             const CommandConfig& config) {
  Planned<AllocateProducerIdsReply> out;
  if (Status s = check_broker_epoch(image, broker, epoch); !s.ok()) {
    out.reply.error = s.code();
    out.reply.message = s.error().message();
    return out;
  }
  out.reply.first_producer_id = image.next_producer_id;
  out.reply.count = config.producer_id_block_size;
  out.records.push_back(
      make_producer_ids(broker, epoch, image.next_producer_id + config.producer_id_block_size));
  return out;
}

}  // namespace ferry::controller::metadata
