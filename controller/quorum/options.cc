#include "controller/quorum/options.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "common/parse.h"

namespace ferry::controller {

namespace {

Error bad_voter(std::string_view entry, std::string_view why) {
  return Error(
      ErrorCode::INVALID_CONFIG,
      fmt::format("controller.quorum.voters entry '{}' {} (expected id@host:port)", entry, why));
}

}  // namespace

Result<std::vector<VoterAddress>> parse_voters(const std::vector<std::string>& entries) {
  std::vector<VoterAddress> voters;
  for (const auto& entry : entries) {
    const size_t at = entry.find('@');
    const size_t colon = entry.rfind(':');
    if (at == std::string::npos || colon == std::string::npos || colon < at) {
      return bad_voter(entry, "is malformed");
    }
    const auto id = parse_integer<int32_t>(std::string_view(entry).substr(0, at));
    const auto port = parse_integer<int32_t>(std::string_view(entry).substr(colon + 1));
    std::string host = entry.substr(at + 1, colon - at - 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);  // [::1]
    }
    if (!id || *id < 0) return bad_voter(entry, "has a bad node id");
    if (!port || *port <= 0 || *port > 65535) return bad_voter(entry, "has a bad port");
    if (host.empty()) return bad_voter(entry, "has no host");
    for (const auto& v : voters) {
      if (v.id == NodeId(*id)) return bad_voter(entry, "repeats a node id");
    }
    voters.push_back(VoterAddress{NodeId(*id), std::move(host), *port});
  }
  if (voters.empty()) {
    return Error(ErrorCode::INVALID_CONFIG,
                 "controller.quorum.voters must name at least one voter");
  }
  std::sort(voters.begin(), voters.end(),
            [](const VoterAddress& a, const VoterAddress& b) { return a.id < b.id; });
  return voters;
}

const VoterAddress* QuorumOptions::voter(NodeId id) const {
  for (const auto& v : voters) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

Result<QuorumOptions> QuorumOptions::from(const config::BrokerConfig& config, bool require_voter) {
  QuorumOptions o;
  o.node_id = NodeId(config.get_int("node.id"));
  FERRY_ASSIGN_OR_RETURN(o.voters, parse_voters(config.get_list("controller.quorum.voters")));
  if (require_voter && o.voter(o.node_id) == nullptr) {
    return Error(ErrorCode::INVALID_CONFIG,
                 fmt::format("node.id {} has the controller role but is not in "
                             "controller.quorum.voters",
                             o.node_id));
  }
  o.metadata_dir = config.metadata_log_dir();
  if (o.metadata_dir.empty()) {
    return Error(ErrorCode::INVALID_CONFIG, "log.dirs is empty and metadata.log.dir is not set");
  }
  o.tick_ms = config.get_long("controller.quorum.heartbeat.interval.ms");
  o.election_timeout_ms = config.get_long("controller.quorum.election.timeout.ms");
  if (o.tick_ms >= o.election_timeout_ms) {
    return Error(ErrorCode::INVALID_CONFIG,
                 fmt::format("controller.quorum.heartbeat.interval.ms ({}) must be below "
                             "controller.quorum.election.timeout.ms ({})",
                             o.tick_ms, o.election_timeout_ms));
  }
  o.election_timeout_ticks = std::max<int64_t>(2, o.election_timeout_ms / o.tick_ms);
  o.heartbeat_ticks = 1;
  o.snapshot_after_bytes =
      static_cast<uint64_t>(config.get_long("metadata.log.max.record.bytes.between.snapshots"));
  o.snapshot_keep_entries = config.get_int("metadata.log.snapshot.retain.entries");
  o.commands = metadata::CommandConfig::from(config);
  std::random_device device;
  o.seed = (uint64_t{device()} << 32) ^ device();
  return o;
}

}  // namespace ferry::controller
