// `ferry cluster ...`: info (cluster id, controller, brokers from Metadata).
//
// `cluster quorum` (the controllers' Raft quorum, like kafka-metadata-quorum) is not here yet:
// it needs controller/quorum_admin.h, the controller's gRPC describe-quorum client.
#pragma once

#include "cli/command_context.h"

namespace ferry::cli {

int run_cluster_info(const CommandContext& ctx);

}  // namespace ferry::cli
