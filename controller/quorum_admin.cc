#include "controller/quorum_admin.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "controller/grpc/grpc_util.h"
#include "controller/grpc/quorum_convert.h"
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

Result<QuorumDescription> describe_quorum_any(const std::vector<std::string>& addresses,
                                              int64_t timeout_ms) {
  using Clock = std::chrono::steady_clock;
  constexpr int64_t kAttemptMs = 2000;  // one unresponsive voter must not use up the budget
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  const auto remaining_ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  };
  Error last(ErrorCode::REQUEST_TIMED_OUT,
             fmt::format("no voter answered within {} ms", timeout_ms));
  if (addresses.empty()) return Error(ErrorCode::INVALID_REQUEST, "no controller address given");
  auto backoff = std::chrono::milliseconds(50);
  while (true) {
    for (const auto& address : addresses) {
      if (remaining_ms() <= 0) return last;
      auto described = describe_quorum(address, std::min(remaining_ms(), kAttemptMs));
      if (described.ok()) return described;
      last = described.error().with_context(address);
    }
    if (remaining_ms() <= backoff.count()) return last;
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(500));
  }
}

Result<QuorumDescription> describe_quorum_of(const std::vector<std::string>& voters,
                                             int64_t timeout_ms) {
  FERRY_ASSIGN_OR_RETURN(auto parsed, parse_voters(voters));
  std::vector<std::string> addresses;
  for (const auto& v : parsed)
    addresses.push_back(v.address());
  return describe_quorum_any(addresses, timeout_ms);
}

}  // namespace ferry::controller
