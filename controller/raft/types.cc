#include "controller/raft/types.h"

#include <algorithm>

namespace ferry::raft {

std::string_view entry_type_name(EntryType type) {
  switch (type) {
    case EntryType::kNormal:
      return "normal";
    case EntryType::kLeaderNoop:
      return "leader-noop";
    case EntryType::kConfigChange:
      return "config-change";
  }
  return "unknown";
}

uint64_t entries_size_bytes(const std::vector<Entry>& entries) {
  uint64_t total = 0;
  for (const Entry& entry : entries)
    total += entry_size_bytes(entry);
  return total;
}

bool ConfState::contains(NodeId id) const {
  return std::binary_search(voters.begin(), voters.end(), id);
}

ConfState make_conf_state(std::vector<NodeId> voters) {
  std::sort(voters.begin(), voters.end());
  voters.erase(std::unique(voters.begin(), voters.end()), voters.end());
  return ConfState{std::move(voters)};
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "unknown";
}

}  // namespace ferry::raft
