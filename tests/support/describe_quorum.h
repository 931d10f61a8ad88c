// describe-quorum for tests, as controller::QuorumDescription: the CLI's client
// (cli/quorum_client.h) plus the controller's own proto conversion.
#pragma once

#include <string>
#include <vector>

#include "cli/quorum_client.h"
#include "controller/grpc/quorum_convert.h"
#include "controller/quorum/options.h"
#include "controller/quorum_admin.h"

namespace ferry::test {

inline Result<controller::QuorumDescription> describe_quorum(const std::string& address,
                                                             int64_t timeout_ms) {
  FERRY_ASSIGN_OR_RETURN(auto response, cli::describe_quorum(address, timeout_ms));
  return controller::grpc_convert::from_proto(response);
}

// Over the `id@host:port` entries of controller.quorum.voters.
inline Result<controller::QuorumDescription> describe_quorum_of(
    const std::vector<std::string>& voters, int64_t timeout_ms) {
  FERRY_ASSIGN_OR_RETURN(auto parsed, controller::parse_voters(voters));
  std::vector<std::string> addresses;
  for (const auto& v : parsed)
    addresses.push_back(v.address());
  FERRY_ASSIGN_OR_RETURN(auto response, cli::describe_quorum_any(addresses, timeout_ms));
  return controller::grpc_convert::from_proto(response);
}

}  // namespace ferry::test
