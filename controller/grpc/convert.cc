#include "controller/grpc/convert.h"

#include <algorithm>

#include "controller/metadata/records.h"

namespace ferry::controller::grpc_convert {

namespace {

using metadata::append_node_ids;
using metadata::to_node_ids;

Uuid uuid_or_zero(const std::string& bytes) {
  auto id = metadata::uuid_from_bytes(bytes);
  return id.ok() ? *id : Uuid{};
}

std::string uuid_or_empty(const Uuid& id) {
  return id.is_zero() ? std::string() : metadata::uuid_to_bytes(id);
}

template <typename Item>
void error_into(const Item& item, proto::ErrorInfo* out) {
  set_error(out, item.error, item.message);
}

template <typename Item>
void error_from(const proto::ErrorInfo& info, Item& item) {
  item.error = error_code(info);
  item.message = info.message();
}

// A response-level NOT_CONTROLLER when any item says so: the client then retries the whole
// request at the active controller.
template <typename Results, typename Response>
void whole_response(const Results& results, Response* out) {
  int64_t committed = 0;
  for (const auto& r : results) {
    committed = std::max(committed, r.committed_offset.value());
    if (r.error == ErrorCode::NOT_CONTROLLER) set_error(out->mutable_error(), r.error, r.message);
  }
  out->set_committed_offset(committed);
}

void endpoint_to(const metadata::Endpoint& e, proto::Endpoint* out) {
  out->set_listener(e.listener);
  out->set_host(e.host);
  out->set_port(e.port);
  out->set_security_protocol(e.security_protocol);
}

metadata::Endpoint endpoint_from(const proto::Endpoint& e) {
  return metadata::Endpoint{e.listener(), e.host(), e.port(),
                            e.security_protocol().empty() ? "PLAINTEXT" : e.security_protocol()};
}

}  // namespace

// ---- Raft ---------------------------------------------------------------------------------------

void to_proto(const raft::Entry& e, proto::RaftEntry* out) {
  out->set_term(e.term.value());
  out->set_index(e.index.value());
  out->set_type(static_cast<int32_t>(e.type));
  out->set_data(std::string(e.data.begin(), e.data.end()));
}

raft::Entry from_proto(const proto::RaftEntry& pe) {
  raft::Entry e;
  e.term = Term(pe.term());
  e.index = LogIndex(pe.index());
  // An unknown type number stays out of range and validate_message() refuses it.
  e.type = static_cast<raft::EntryType>(std::clamp(pe.type(), 0, 255));
  e.data.assign(pe.data().begin(), pe.data().end());
  return e;
}

void to_proto(const raft::Snapshot& s, proto::RaftSnapshot* out) {
  out->set_index(s.metadata.index.value());
  out->set_term(s.metadata.term.value());
  for (NodeId v : s.metadata.conf_state.voters)
    out->add_voters(v.value());
  out->set_data(std::string(s.data.begin(), s.data.end()));
}

raft::Snapshot from_proto(const proto::RaftSnapshot& ps) {
  raft::Snapshot s;
  s.metadata.index = LogIndex(ps.index());
  s.metadata.term = Term(ps.term());
  std::vector<NodeId> voters;
  for (int32_t v : ps.voters())
    voters.emplace_back(v);
  s.metadata.conf_state = raft::make_conf_state(std::move(voters));
  s.data.assign(ps.data().begin(), ps.data().end());
  return s;
}

void to_proto(const LogCopy& copy, proto::FetchLogResponse* out) {
  if (!copy.snapshot.empty()) to_proto(copy.snapshot, out->mutable_snapshot());
  for (const auto& e : copy.entries)
    to_proto(e, out->add_entries());
}

void to_proto(const raft::Message& m, proto::RaftMessage* out) {
  out->set_type(static_cast<int32_t>(m.type));
  out->set_from(m.from.value());
  out->set_to(m.to.value());
  out->set_term(m.term.value());
  out->set_log_term(m.log_term.value());
  out->set_index(m.index.value());
  out->set_commit(m.commit.value());
  for (const auto& e : m.entries)
    to_proto(e, out->add_entries());
  out->set_reject(m.reject);
  out->set_reject_hint(m.reject_hint.value());
  out->set_transfer(m.transfer);
  out->set_context(std::string(m.context.begin(), m.context.end()));
  if (m.snapshot) to_proto(*m.snapshot, out->mutable_snapshot());
}

raft::Message from_proto(const proto::RaftMessage& m) {
  raft::Message out;
  // An unknown type number stays out of range and validate_message() refuses it.
  out.type = static_cast<raft::MessageType>(std::clamp(m.type(), 0, 255));
  out.from = NodeId(m.from());
  out.to = NodeId(m.to());
  out.term = Term(m.term());
  out.log_term = Term(m.log_term());
  out.index = LogIndex(m.index());
  out.commit = LogIndex(m.commit());
  out.entries.reserve(static_cast<size_t>(m.entries_size()));
  for (const auto& pe : m.entries())
    out.entries.push_back(from_proto(pe));
  out.reject = m.reject();
  out.reject_hint = LogIndex(m.reject_hint());
  out.transfer = m.transfer();
  out.context.assign(m.context().begin(), m.context().end());
  if (m.has_snapshot()) out.snapshot = from_proto(m.snapshot());
  return out;
}

// ---- Topics -------------------------------------------------------------------------------------

proto::CreateTopicsRequest to_proto(const std::vector<CreateTopicSpec>& topics,
                                    bool validate_only) {
  proto::CreateTopicsRequest r;
  r.set_validate_only(validate_only);
  for (const auto& t : topics) {
    auto* pt = r.add_topics();
    pt->set_name(t.name);
    pt->set_num_partitions(t.num_partitions);
    pt->set_replication_factor(t.replication_factor);
    pt->set_internal(t.internal);
    for (const auto& [partition, replicas] : t.assignments) {
      auto* a = pt->add_assignments();
      a->set_partition(partition);
      append_node_ids(replicas, a->mutable_replicas());
    }
    for (const auto& [key, value] : t.configs) {
      auto* c = pt->add_configs();
      c->set_key(key);
      if (value) c->set_value(*value);
    }
  }
  return r;
}

std::vector<CreateTopicSpec> from_proto(const proto::CreateTopicsRequest& r) {
  std::vector<CreateTopicSpec> out;
  for (const auto& pt : r.topics()) {
    CreateTopicSpec t;
    t.name = pt.name();
    t.num_partitions = pt.num_partitions();
    t.replication_factor =
        static_cast<int16_t>(std::clamp<int32_t>(pt.replication_factor(), INT16_MIN, INT16_MAX));
    t.internal = pt.internal();
    for (const auto& a : pt.assignments())
      t.assignments[a.partition()] = to_node_ids(a.replicas());
    for (const auto& c : pt.configs()) {
      t.configs.emplace_back(c.key(),
                             c.has_value() ? std::optional<std::string>(c.value()) : std::nullopt);
    }
    out.push_back(std::move(t));
  }
  return out;
}

void to_proto(const std::vector<CreateTopicResult>& results, proto::CreateTopicsResponse* out) {
  for (const auto& r : results) {
    auto* pr = out->add_topics();
    pr->set_name(r.name);
    error_into(r, pr->mutable_error());
    pr->set_topic_id(uuid_or_empty(r.topic_id));
    pr->set_num_partitions(r.num_partitions);
    pr->set_replication_factor(r.replication_factor);
    for (const auto& [k, v] : r.configs)
      (*pr->mutable_configs())[k] = v;
  }
  whole_response(results, out);
}

std::vector<CreateTopicResult> from_proto(const proto::CreateTopicsResponse& r) {
  std::vector<CreateTopicResult> out;
  for (const auto& pr : r.topics()) {
    CreateTopicResult t;
    t.name = pr.name();
    error_from(pr.error(), t);
    t.topic_id = uuid_or_zero(pr.topic_id());
    t.num_partitions = pr.num_partitions();
    t.replication_factor = static_cast<int16_t>(pr.replication_factor());
    for (const auto& [k, v] : pr.configs())
      t.configs[k] = v;
    t.committed_offset = LogIndex(r.committed_offset());
    out.push_back(std::move(t));
  }
  return out;
}

proto::DeleteTopicsRequest to_proto(const std::vector<DeleteTopicSpec>& topics) {
  proto::DeleteTopicsRequest r;
  for (const auto& t : topics) {
    auto* pt = r.add_topics();
    if (t.name) pt->set_name(*t.name);
    if (t.id) pt->set_topic_id(uuid_or_empty(*t.id));
  }
  return r;
}

std::vector<DeleteTopicSpec> from_proto(const proto::DeleteTopicsRequest& r) {
  std::vector<DeleteTopicSpec> out;
  for (const auto& pt : r.topics()) {
    DeleteTopicSpec t;
    if (pt.has_name()) t.name = pt.name();
    if (!pt.topic_id().empty()) t.id = uuid_or_zero(pt.topic_id());
    out.push_back(std::move(t));
  }
  return out;
}

void to_proto(const std::vector<DeleteTopicResult>& results, proto::DeleteTopicsResponse* out) {
  for (const auto& r : results) {
    auto* pr = out->add_topics();
    pr->set_name(r.name);
    pr->set_topic_id(uuid_or_empty(r.topic_id));
    error_into(r, pr->mutable_error());
  }
  whole_response(results, out);
}

std::vector<DeleteTopicResult> from_proto(const proto::DeleteTopicsResponse& r) {
  std::vector<DeleteTopicResult> out;
  for (const auto& pr : r.topics()) {
    DeleteTopicResult t;
    t.name = pr.name();
    t.topic_id = uuid_or_zero(pr.topic_id());
    error_from(pr.error(), t);
    t.committed_offset = LogIndex(r.committed_offset());
    out.push_back(std::move(t));
  }
  return out;
}

proto::CreatePartitionsRequest to_proto(const std::vector<CreatePartitionsSpec>& topics,
                                        bool validate_only) {
  proto::CreatePartitionsRequest r;
  r.set_validate_only(validate_only);
  for (const auto& t : topics) {
    auto* pt = r.add_topics();
    pt->set_name(t.name);
    pt->set_count(t.count);
    pt->set_assignments_given(t.assignments.has_value());
    if (t.assignments) {
      for (const auto& replicas : *t.assignments) {
        append_node_ids(replicas, pt->add_assignments()->mutable_ids());
      }
    }
  }
  return r;
}

std::vector<CreatePartitionsSpec> from_proto(const proto::CreatePartitionsRequest& r) {
  std::vector<CreatePartitionsSpec> out;
  for (const auto& pt : r.topics()) {
    CreatePartitionsSpec t;
    t.name = pt.name();
    t.count = pt.count();
    if (pt.assignments_given()) {
      t.assignments.emplace();
      for (const auto& a : pt.assignments())
        t.assignments->push_back(to_node_ids(a.ids()));
    }
    out.push_back(std::move(t));
  }
  return out;
}

void to_proto(const std::vector<CreatePartitionsResult>& results,
              proto::CreatePartitionsResponse* out) {
  for (const auto& r : results) {
    auto* pr = out->add_topics();
    pr->set_name(r.name);
    error_into(r, pr->mutable_error());
  }
  whole_response(results, out);
}

std::vector<CreatePartitionsResult> from_proto(const proto::CreatePartitionsResponse& r) {
  std::vector<CreatePartitionsResult> out;
  for (const auto& pr : r.topics()) {
    CreatePartitionsResult t;
    t.name = pr.name();
    error_from(pr.error(), t);
    t.committed_offset = LogIndex(r.committed_offset());
    out.push_back(std::move(t));
  }
  return out;
}

// ---- Configs ------------------------------------------------------------------------------------

proto::AlterConfigsRequest to_proto(const std::vector<AlterConfigsSpec>& resources,
                                    bool validate_only) {
  proto::AlterConfigsRequest r;
  r.set_validate_only(validate_only);
  for (const auto& res : resources) {
    auto* pr = r.add_resources();
    pr->set_type(static_cast<int32_t>(res.type));
    pr->set_name(res.name);
    pr->set_incremental(res.incremental);
    for (const auto& c : res.changes) {
      auto* pc = pr->add_changes();
      pc->set_key(c.key);
      pc->set_op(static_cast<int32_t>(c.op));
      if (c.value) pc->set_value(*c.value);
    }
  }
  return r;
}

std::vector<AlterConfigsSpec> from_proto(const proto::AlterConfigsRequest& r) {
  std::vector<AlterConfigsSpec> out;
  for (const auto& pr : r.resources()) {
    AlterConfigsSpec res;
    res.type = static_cast<ConfigResourceType>(std::clamp(pr.type(), -128, 127));
    res.name = pr.name();
    res.incremental = pr.incremental();
    for (const auto& pc : pr.changes()) {
      res.changes.push_back(
          ConfigChange{pc.key(), static_cast<ConfigOp>(std::clamp(pc.op(), -128, 127)),
                       pc.has_value() ? std::optional<std::string>(pc.value()) : std::nullopt});
    }
    out.push_back(std::move(res));
  }
  return out;
}

void to_proto(const std::vector<AlterConfigsResult>& results, proto::AlterConfigsResponse* out) {
  for (const auto& r : results) {
    auto* pr = out->add_resources();
    pr->set_type(static_cast<int32_t>(r.type));
    pr->set_name(r.name);
    error_into(r, pr->mutable_error());
  }
  whole_response(results, out);
}

std::vector<AlterConfigsResult> from_proto(const proto::AlterConfigsResponse& r) {
  std::vector<AlterConfigsResult> out;
  for (const auto& pr : r.resources()) {
    AlterConfigsResult res;
    res.type = static_cast<ConfigResourceType>(std::clamp(pr.type(), -128, 127));
    res.name = pr.name();
    error_from(pr.error(), res);
    res.committed_offset = LogIndex(r.committed_offset());
    out.push_back(std::move(res));
  }
  return out;
}

// ---- Brokers ------------------------------------------------------------------------------------

proto::RegisterBrokerRequest to_proto(const BrokerRegistrationRequest& r) {
  proto::RegisterBrokerRequest out;
  out.set_broker_id(r.broker_id.value());
  out.set_incarnation_id(uuid_or_empty(r.incarnation_id));
  for (const auto& e : r.endpoints)
    endpoint_to(e, out.add_endpoints());
  if (r.rack) out.set_rack(*r.rack);
  return out;
}

BrokerRegistrationRequest from_proto(const proto::RegisterBrokerRequest& r) {
  BrokerRegistrationRequest out;
  out.broker_id = NodeId(r.broker_id());
  out.incarnation_id = uuid_or_zero(r.incarnation_id());
  for (const auto& e : r.endpoints())
    out.endpoints.push_back(endpoint_from(e));
  if (r.has_rack()) out.rack = r.rack();
  return out;
}

void to_proto(const BrokerRegistrationReply& reply, proto::RegisterBrokerResponse* out) {
  set_error(out->mutable_error(), reply.error, reply.message);
  out->set_broker_epoch(reply.broker_epoch.value());
  out->set_committed_offset(reply.committed_offset.value());
}

BrokerRegistrationReply from_proto(const proto::RegisterBrokerResponse& r) {
  BrokerRegistrationReply out;
  error_from(r.error(), out);
  out.broker_epoch = BrokerEpoch(r.broker_epoch());
  out.committed_offset = LogIndex(r.committed_offset());
  return out;
}

proto::BrokerHeartbeatRequest to_proto(const BrokerHeartbeatRequest& r) {
  proto::BrokerHeartbeatRequest out;
  out.set_broker_id(r.broker_id.value());
  out.set_broker_epoch(r.broker_epoch.value());
  out.set_current_metadata_offset(r.current_metadata_offset.value());
  out.set_want_fence(r.want_fence);
  out.set_want_shutdown(r.want_shutdown);
  return out;
}

BrokerHeartbeatRequest from_proto(const proto::BrokerHeartbeatRequest& r) {
  BrokerHeartbeatRequest out;
  out.broker_id = NodeId(r.broker_id());
  out.broker_epoch = BrokerEpoch(r.broker_epoch());
  out.current_metadata_offset = LogIndex(r.current_metadata_offset());
  out.want_fence = r.want_fence();
  out.want_shutdown = r.want_shutdown();
  return out;
}

void to_proto(const BrokerHeartbeatReply& reply, proto::BrokerHeartbeatResponse* out) {
  set_error(out->mutable_error(), reply.error, reply.message);
  out->set_is_caught_up(reply.is_caught_up);
  out->set_is_fenced(reply.is_fenced);
  out->set_should_shutdown(reply.should_shutdown);
  out->set_metadata_offset(reply.metadata_offset.value());
}

BrokerHeartbeatReply from_proto(const proto::BrokerHeartbeatResponse& r) {
  BrokerHeartbeatReply out;
  error_from(r.error(), out);
  out.is_caught_up = r.is_caught_up();
  out.is_fenced = r.is_fenced();
  out.should_shutdown = r.should_shutdown();
  out.metadata_offset = LogIndex(r.metadata_offset());
  return out;
}

// ---- Partitions ---------------------------------------------------------------------------------

proto::AlterPartitionRequest to_proto(const AlterPartitionRequest& r) {
  proto::AlterPartitionRequest out;
  out.set_broker_id(r.broker_id.value());
  out.set_broker_epoch(r.broker_epoch.value());
  out.set_topic_id(uuid_or_empty(r.topic_id));
  out.set_partition(r.partition);
  out.set_leader_epoch(r.leader_epoch.value());
  out.set_partition_epoch(r.partition_epoch.value());
  append_node_ids(r.new_isr, out.mutable_new_isr());
  for (const BrokerEpoch e : r.new_isr_epochs)
    out.add_new_isr_epochs(e.value());
  return out;
}

AlterPartitionRequest from_proto(const proto::AlterPartitionRequest& r) {
  AlterPartitionRequest out;
  out.broker_id = NodeId(r.broker_id());
  out.broker_epoch = BrokerEpoch(r.broker_epoch());
  out.topic_id = uuid_or_zero(r.topic_id());
  out.partition = r.partition();
  out.leader_epoch = LeaderEpoch(r.leader_epoch());
  out.partition_epoch = PartitionEpoch(r.partition_epoch());
  out.new_isr = to_node_ids(r.new_isr());
  for (const int64_t e : r.new_isr_epochs())
    out.new_isr_epochs.emplace_back(e);
  return out;
}

void to_proto(const AlterPartitionReply& reply, proto::AlterPartitionResponse* out) {
  set_error(out->mutable_error(), reply.error, reply.message);
  auto* p = out->mutable_partition();
  append_node_ids(reply.partition.replicas, p->mutable_replicas());
  append_node_ids(reply.partition.isr, p->mutable_isr());
  p->set_leader(reply.partition.leader.value());
  p->set_leader_epoch(reply.partition.leader_epoch.value());
  p->set_partition_epoch(reply.partition.partition_epoch.value());
  out->set_committed_offset(reply.committed_offset.value());
}

AlterPartitionReply from_proto(const proto::AlterPartitionResponse& r) {
  AlterPartitionReply out;
  error_from(r.error(), out);
  out.partition.replicas = to_node_ids(r.partition().replicas());
  out.partition.isr = to_node_ids(r.partition().isr());
  out.partition.leader = NodeId(r.partition().leader());
  out.partition.leader_epoch = LeaderEpoch(r.partition().leader_epoch());
  out.partition.partition_epoch = PartitionEpoch(r.partition().partition_epoch());
  out.committed_offset = LogIndex(r.committed_offset());
  return out;
}

void to_proto(const AllocateProducerIdsReply& reply, proto::AllocateProducerIdsResponse* out) {
  set_error(out->mutable_error(), reply.error, reply.message);
  out->set_first_producer_id(reply.first_producer_id);
  out->set_count(reply.count);
  out->set_committed_offset(reply.committed_offset.value());
}

AllocateProducerIdsReply from_proto(const proto::AllocateProducerIdsResponse& r) {
  AllocateProducerIdsReply out;
  error_from(r.error(), out);
  out.first_producer_id = r.first_producer_id();
  out.count = r.count();
  out.committed_offset = LogIndex(r.committed_offset());
  return out;
}

}  // namespace ferry::controller::grpc_convert
