#include "cli/quorum_client.h"

#include <fmt/format.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "proto/controller.grpc.pb.h"

namespace ferry::cli {

namespace {

Result<proto::DescribeQuorumResponse> ask(const std::string& address, int64_t timeout_ms) {
  // As the controllers' own channels: reconnect quickly (a voter restarting or just elected is
  // back within the election timeout) and no transparent retries (the caller moves on instead).
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  auto stub = proto::ControllerService::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  proto::DescribeQuorumResponse response;
  const grpc::Status status =
      stub->DescribeQuorum(&context, proto::DescribeQuorumRequest(), &response);
  if (status.ok()) return response;
  const ErrorCode code = status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
                             ? ErrorCode::REQUEST_TIMED_OUT
                             : ErrorCode::NETWORK_EXCEPTION;
  return Error(code, fmt::format("controller at {}: {}", address, status.error_message()));
}

ErrorCode code_of(const proto::DescribeQuorumResponse& response) {
  return error_code_from_int(static_cast<int16_t>(response.error().code()));
}

}  // namespace

Result<proto::DescribeQuorumResponse> describe_quorum(const std::string& address,
                                                      int64_t timeout_ms) {
  FERRY_ASSIGN_OR_RETURN(auto response, ask(address, timeout_ms));
  // A voter that is not the active controller answers NOT_CONTROLLER with where the leader is.
  if (code_of(response) == ErrorCode::NOT_CONTROLLER && !response.leader().address().empty() &&
      response.leader().address() != address) {
    FERRY_ASSIGN_OR_RETURN(response, ask(response.leader().address(), timeout_ms));
  }
  if (code_of(response) != ErrorCode::NONE) {
    return Error(code_of(response), response.error().message());
  }
  return response;
}

Result<proto::DescribeQuorumResponse> describe_quorum_any(const std::vector<std::string>& addresses,
                                                          int64_t timeout_ms) {
  using Clock = std::chrono::steady_clock;
  constexpr int64_t kAttemptMs = 2000;  // one unresponsive voter must not use up the budget
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  const auto remaining_ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  };
  if (addresses.empty()) return Error(ErrorCode::INVALID_REQUEST, "no controller address given");
  Error last(ErrorCode::REQUEST_TIMED_OUT,
             fmt::format("no voter answered within {} ms", timeout_ms));
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

}  // namespace ferry::cli
