// `ferry cluster ...`:
//  * info: cluster id, controller and brokers, from Kafka Metadata (works against any Kafka);
//  * quorum: the controllers' Raft quorum from their gRPC listener (cli/quorum_client.h),
//    as kafka-metadata-quorum describe --status / --replication shows it (Ferry only).
#pragma once

#include <string>
#include <vector>

#include "cli/command_context.h"

namespace ferry::cli {

int run_cluster_info(const CommandContext& ctx);

struct QuorumOptions {
  std::vector<std::string> controllers;  // host:port of controller listeners, tried in order
  bool status = true;
  bool replication = true;
};
// Controllers from --controllers / FERRY_CONTROLLERS / the profile (brokers.h); --status and
// --replication pick the parts (neither: both).
Result<QuorumOptions> parse_cluster_quorum(const Invocation& inv, const Environment& env);
int run_cluster_quorum(const CommandContext& ctx);

}  // namespace ferry::cli
