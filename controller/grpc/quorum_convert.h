// The part of the protobuf conversions a describe-quorum client needs (errors and the quorum
// description), apart from convert.h so that the `ferry` CLI links only these and the gRPC stubs,
// not the controller (RocksDB, the Raft core).
#pragma once

#include <string>

#include "common/error.h"
#include "controller/quorum_admin.h"
#include "proto/controller.pb.h"

namespace ferry::controller::grpc_convert {

void set_error(proto::ErrorInfo* out, ErrorCode code, const std::string& message);
ErrorCode error_code(const proto::ErrorInfo& info);

void to_proto(const QuorumDescription& d, proto::DescribeQuorumResponse* out);
QuorumDescription from_proto(const proto::DescribeQuorumResponse& r);

}  // namespace ferry::controller::grpc_convert
