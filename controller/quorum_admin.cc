#include "controller/quorum_admin.h"

#include <fmt/format.h>

#include "controller/grpc/convert.h"
#include "controller/grpc/grpc_util.h"
#include "controller/quorum/options.h"
#include "proto/controller.grpc.pb.h"

namespace ferry::controller {

namespace {

Result<proto::DescribeQuorumResponse> ask(const std::string& address, int64_t timeout_ms) {
  auto stub = proto::ControllerService::NewStub(make_channel(address));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  proto::DescribeQuorumResponse response;
  const grpc::Status status =
      stub->DescribeQuorum(&context, proto::DescribeQuorumRequest(), &response);
  if (!status.ok()) return grpc_error(status, address);
  return response;
}

}  // namespace

Result<QuorumDescription> describe_quorum(const std::string& address, int64_t timeout_ms) {
  FERRY_ASSIGN_OR_RETURN(auto response, ask(address, timeout_ms));
  ErrorCode code = grpc_convert::error_code(response.error());
  if (code == ErrorCode::NOT_CONTROLLER && !response.leader().address().empty() &&
      response.leader().address() != address) {
    FERRY_ASSIGN_OR_RETURN(response, ask(response.leader().address(), timeout_ms));
    code = grpc_convert::error_code(response.error());
  }
  if (code != ErrorCode::NONE) return Error(code, response.error().message());
  return grpc_convert::from_proto(response);
}

Result<QuorumDescription> describe_quorum_of(const std::vector<std::string>& voters,
                                             int64_t timeout_ms) {
  FERRY_ASSIGN_OR_RETURN(auto parsed, parse_voters(voters));
  Error last(ErrorCode::NOT_CONTROLLER, "no voter answered");
  for (const auto& v : parsed) {
    auto described = describe_quorum(v.address(), timeout_ms);
    if (described.ok()) return described;
    last = described.error();
  }
  return last;
}

}  // namespace ferry::controller
