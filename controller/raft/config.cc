#include "controller/raft/config.h"

#include <fmt/format.h>

namespace ferry::raft {

namespace {
Error invalid(std::string message) {
  return Error(ErrorCode::INVALID_CONFIG, "raft config: " + std::move(message));
}
}  // namespace

Status Config::validate() const {
  if (id < NodeId(0)) return invalid("id must be a node id >= 0");
  for (NodeId voter : voters) {
    if (voter < NodeId(0)) return invalid(fmt::format("voter id {} is negative", voter));
  }
  if (election_timeout_ticks < 1) return invalid("election_timeout_ticks must be >= 1");
  if (heartbeat_ticks < 1 || heartbeat_ticks >= election_timeout_ticks) {
    return invalid(fmt::format("heartbeat_ticks ({}) must be in [1, election_timeout_ticks ({}))",
                               heartbeat_ticks, election_timeout_ticks));
  }
  if (max_append_entries < 1) return invalid("max_append_entries must be >= 1");
  if (max_inflight_appends < 1) return invalid("max_inflight_appends must be >= 1");
  if (install_snapshot_timeout_ticks < 0) return invalid("install_snapshot_timeout_ticks < 0");
  if (applied < LogIndex(0)) return invalid("applied must be >= 0");
  return ok_status();
}

}  // namespace ferry::raft
