// Conversions between the plain C++ types (controller_api.h, raft/message.h, quorum_admin.h) and
// their protobuf forms (proto/controller.proto). Controller-internal: includes generated code.
//
// Decoding never trusts the peer: ids that do not parse become INVALID_REQUEST errors, and a
// Raft message is validated by the core (validate_message) before use.
#pragma once

#include <string>
#include <vector>

#include "controller/controller_api.h"
#include "controller/grpc/quorum_convert.h"
#include "controller/quorum/quorum_controller.h"
#include "controller/quorum_admin.h"
#include "controller/raft/message.h"
#include "proto/controller.pb.h"

namespace ferry::controller::grpc_convert {

// ---- Raft ---------------------------------------------------------------------------------------
void to_proto(const raft::Message& m, proto::RaftMessage* out);
raft::Message from_proto(const proto::RaftMessage& m);
void to_proto(const raft::Entry& e, proto::RaftEntry* out);
raft::Entry from_proto(const proto::RaftEntry& e);
void to_proto(const raft::Snapshot& s, proto::RaftSnapshot* out);
raft::Snapshot from_proto(const proto::RaftSnapshot& s);
void to_proto(const LogCopy& copy, proto::FetchLogResponse* out);

// ---- Requests (client side encodes, server side decodes) ----------------------------------------
proto::CreateTopicsRequest to_proto(const std::vector<CreateTopicSpec>& topics, bool validate_only);
std::vector<CreateTopicSpec> from_proto(const proto::CreateTopicsRequest& r);
proto::DeleteTopicsRequest to_proto(const std::vector<DeleteTopicSpec>& topics);
std::vector<DeleteTopicSpec> from_proto(const proto::DeleteTopicsRequest& r);
proto::CreatePartitionsRequest to_proto(const std::vector<CreatePartitionsSpec>& topics,
                                        bool validate_only);
std::vector<CreatePartitionsSpec> from_proto(const proto::CreatePartitionsRequest& r);
proto::AlterConfigsRequest to_proto(const std::vector<AlterConfigsSpec>& resources,
                                    bool validate_only);
std::vector<AlterConfigsSpec> from_proto(const proto::AlterConfigsRequest& r);
proto::RegisterBrokerRequest to_proto(const BrokerRegistrationRequest& r);
BrokerRegistrationRequest from_proto(const proto::RegisterBrokerRequest& r);
proto::BrokerHeartbeatRequest to_proto(const BrokerHeartbeatRequest& r);
BrokerHeartbeatRequest from_proto(const proto::BrokerHeartbeatRequest& r);
proto::AlterPartitionRequest to_proto(const AlterPartitionRequest& r);
AlterPartitionRequest from_proto(const proto::AlterPartitionRequest& r);

// ---- Replies (server side encodes, client side decodes) -----------------------------------------
void to_proto(const std::vector<CreateTopicResult>& results, proto::CreateTopicsResponse* out);
std::vector<CreateTopicResult> from_proto(const proto::CreateTopicsResponse& r);
void to_proto(const std::vector<DeleteTopicResult>& results, proto::DeleteTopicsResponse* out);
std::vector<DeleteTopicResult> from_proto(const proto::DeleteTopicsResponse& r);
void to_proto(const std::vector<CreatePartitionsResult>& results,
              proto::CreatePartitionsResponse* out);
std::vector<CreatePartitionsResult> from_proto(const proto::CreatePartitionsResponse& r);
void to_proto(const std::vector<AlterConfigsResult>& results, proto::AlterConfigsResponse* out);
std::vector<AlterConfigsResult> from_proto(const proto::AlterConfigsResponse& r);
void to_proto(const BrokerRegistrationReply& reply, proto::RegisterBrokerResponse* out);
BrokerRegistrationReply from_proto(const proto::RegisterBrokerResponse& r);
void to_proto(const BrokerHeartbeatReply& reply, proto::BrokerHeartbeatResponse* out);
BrokerHeartbeatReply from_proto(const proto::BrokerHeartbeatResponse& r);
void to_proto(const AlterPartitionReply& reply, proto::AlterPartitionResponse* out);
AlterPartitionReply from_proto(const proto::AlterPartitionResponse& r);
void to_proto(const AllocateProducerIdsReply& reply, proto::AllocateProducerIdsResponse* out);
AllocateProducerIdsReply from_proto(const proto::AllocateProducerIdsResponse& r);

}  // namespace ferry::controller::grpc_convert
