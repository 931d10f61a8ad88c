// The controller quorum's configuration, derived from the one config schema
// (controller.quorum.voters, controller.quorum.*.ms, metadata.log.dir, ...).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "common/strong_types.h"
#include "controller/metadata/commands.h"

namespace ferry::controller {

struct VoterAddress {
  NodeId id = kNoNode;
  std::string host;
  int32_t port = 0;
  std::string address() const { return host + ":" + std::to_string(port); }
};

// Parses controller.quorum.voters entries "id@host:port". INVALID_CONFIG naming the bad entry,
// a duplicate id, or an empty list.
Result<std::vector<VoterAddress>> parse_voters(const std::vector<std::string>& entries);

struct QuorumOptions {
  NodeId node_id = kNoNode;
  std::vector<VoterAddress> voters;
  std::string metadata_dir;
  // The driver ticks the Raft core every tick_ms (= controller.quorum.heartbeat.interval.ms);
  // the election timeout is election_timeout_ticks ticks (randomised in [T, 2T) by the core).
  int64_t tick_ms = 100;
  int64_t election_timeout_ticks = 10;
  int64_t heartbeat_ticks = 1;
  int64_t election_timeout_ms = 1000;  // as configured, for reports
  // Snapshot and compact once this many record bytes were applied since the last snapshot.
  uint64_t snapshot_after_bytes = 20 << 20;
  // Entries kept below a snapshot so a briefly lagging follower needs no snapshot transfer
  // (metadata.log.snapshot.retain.entries).
  int64_t snapshot_keep_entries = 1000;
  // A request waiting for its entry to commit fails with REQUEST_TIMED_OUT after this long.
  int64_t request_timeout_ms = 30000;
  metadata::CommandConfig commands;
  // Seeds the controller's one RNG (randomised election timeouts, generated cluster and topic
  // ids). from() draws it from the OS, so voters started together do not time out in step; a
  // test sets its own and prints it, and the controller logs it at start-up.
  uint64_t seed = 1;

  // From the broker config: node.id, controller.quorum.voters (which must include node.id for
  // a voter), metadata.log.dir (default <first log dir>/__cluster_metadata), the timeouts.
  static Result<QuorumOptions> from(const config::BrokerConfig& config, bool require_voter);

  const VoterAddress* voter(NodeId id) const;
};

}  // namespace ferry::controller
