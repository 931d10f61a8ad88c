// Named spdlog loggers, one per module (STYLE.md habit 9): "storage", "raft", "controller",
// "replication", "broker", "kafka", "cli", ... Log state transitions at info with the partition
// and epoch in the line (`[orders-3 e=7] became leader hw=1200`); per-request detail at trace.
//
// Loggers write to stderr. The level comes from init_logging() (ferryd's `log.level`) or, before
// that, from the FERRY_LOG_LEVEL environment variable (default "info"; tests use "warn").
#pragma once

#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

#include "common/strong_types.h"  // fmt formatters for strong ids

namespace ferry {

// The logger for `module`, created on first use. Thread-safe. Never null.
std::shared_ptr<spdlog::logger> logger(std::string_view module);

// Sets the level of every existing and future logger ("trace", "debug", "info", "warn",
// "error", "off"). Returns false for an unknown level name.
bool init_logging(std::string_view level);

}  // namespace ferry
