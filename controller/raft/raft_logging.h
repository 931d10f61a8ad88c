// Internal to controller/raft: the module's logger and the line prefix every core log line
// carries ("[raft n=<node> t=<term>] ..."). State transitions log at info, per-message detail at
// debug (STYLE.md habit 9).
#pragma once

#include <memory>

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "common/log.h"

namespace ferry::raft::detail {

inline spdlog::logger& raft_logger() {
  static const std::shared_ptr<spdlog::logger> logger = ferry::logger("raft");
  return *logger;
}

}  // namespace ferry::raft::detail

// Used inside Raft member functions (needs id_ and term_).
#define RAFT_LOG(level, fmtstr, ...)                                          \
  ::ferry::raft::detail::raft_logger().level("[raft n={} t={}] " fmtstr, id_, \
                                             term_ __VA_OPT__(, ) __VA_ARGS__)
