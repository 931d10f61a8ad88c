// DescribeQuorum from the command line: a small blocking gRPC client of the controllers'
// ControllerService (proto/controller.proto) through the generated stubs only, so the CLI links
// none of the controller's own code (no RocksDB, no Raft).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace ferry::proto {
class DescribeQuorumResponse;
}

namespace ferry::cli {

// Asks the voter at `address` (host:port of a CONTROLLER listener); if it is not the active
// controller, follows its hint to the leader (once). Bounded by `timeout_ms`. NOT_CONTROLLER when
// no leader is known, REQUEST_TIMED_OUT / NETWORK_EXCEPTION when nothing answers.
Result<proto::DescribeQuorumResponse> describe_quorum(const std::string& address,
                                                      int64_t timeout_ms);

// Asks each of `addresses` in turn, round after round with a short back-off, until one answers
// or `timeout_ms` passes: right after the leader dies the others still name it for up to an
// election timeout, then elect a new one. Returns the last error when none answered.
Result<proto::DescribeQuorumResponse> describe_quorum_any(const std::vector<std::string>& addresses,
                                                          int64_t timeout_ms);

}  // namespace ferry::cli
