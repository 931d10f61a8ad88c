// `ferry consume TOPIC...`: print records (record_format.h for the text and JSON layouts).
//
// Without --group: rd_kafka_assign() of every partition (or --partition) of each topic, at the
// start offset asked for; no group, no commits. With --group: rd_kafka_subscribe() as a member
// of the group; the offset of every printed record is stored and committed (auto commit and a
// final commit when the consumer closes), so a record is committed only once it was printed.
//
// Stops on: --count records printed; --exit-at-end and every assigned partition at its end;
// --timeout (when given) without a record; SIGINT/SIGTERM. Consumer errors are reported
// (`ferry: consume: TOPIC[P]: NAME: message`) and make the exit status 1; the consumer keeps
// going, as librdkafka retries them itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/command_context.h"
#include "cli/record_format.h"

namespace ferry::cli {

struct StartOffset {
  enum class Kind { kEnd, kBeginning, kAbsolute, kTail };
  Kind kind = Kind::kEnd;
  int64_t value = 0;  // kAbsolute: the offset; kTail: how many before the end
};
// "beginning"/"earliest", "end"/"latest", "N" (>= 0) or "-N" (N >= 1: N before the end).
Result<StartOffset> parse_start_offset(const Invocation& inv, std::string_view text);

struct ConsumeOptions {
  std::vector<std::string> topics;
  StartOffset start;
  std::optional<int32_t> partition;
  std::optional<int64_t> count;
  bool exit_at_end = false;
  std::optional<std::string> group;
  PrintOptions print;
};
Result<ConsumeOptions> parse_consume(const Invocation& inv);

int run_consume(const CommandContext& ctx);

}  // namespace ferry::cli
