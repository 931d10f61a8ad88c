// `ferry produce TOPIC`: one record per stdin line (record_format.h for the line rules).
//
// Flow: stdin and the SIGINT/SIGTERM signalfd are polled together, so delivery reports are
// served while stdin is idle and a signal stops reading but still flushes what was read.
// Every record is bounded by message.timeout.ms = --timeout; the final flush by --timeout
// plus a little grace, after which undelivered records are purged and reported.
// Output per delivered record: "Produced to partition P at offset O (line N)." or, with
// --format json, {"topic":..,"partition":..,"offset":..,"line":N}. Failures (a line without
// the key separator, a delivery error) are reported as `ferry: produce: TOPIC: line N: ...`
// and make the exit status 1.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/command_context.h"
#include "cli/record_format.h"

namespace ferry::cli {

struct ProduceOptions {
  std::string topic;
  KeyMode key_mode;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<int32_t> partition;  // nullopt: librdkafka's partitioner (key hash)
  std::string acks = "all";          // librdkafka `acks`: all, -1, 0 or 1
  std::string compression = "none";  // librdkafka `compression.type`
};
Result<ProduceOptions> parse_produce(const Invocation& inv);

int run_produce(const CommandContext& ctx);

}  // namespace ferry::cli
