// `ferry group list | describe | seek | delete | offset-delete` (kafka-consumer-groups.sh and
// rpk group in one tool). Requests in cli/kafka/groups.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/command_context.h"
#include "cli/kafka/groups.h"

namespace ferry::cli {

// --topic T or T:P,P,... (seek, offset-delete); no partitions: every partition of T.
struct TopicSelection {
  std::string topic;
  std::vector<int32_t> partitions;
};
Result<std::vector<TopicSelection>> parse_topic_selections(const Invocation& inv);

// Where `group seek` moves each selected partition.
struct SeekTarget {
  enum class Kind { kEarliest, kLatest, kOffset, kTimestamp, kShift };
  Kind kind = Kind::kEarliest;
  int64_t value = 0;  // the offset, timestamp (ms) or shift
};
Result<SeekTarget> parse_seek_target(const Invocation& inv);
// The new offset of one partition: `committed` may be absent (-1); the result is clamped to
// [log_start, log_end]. Errors when a shift has nothing to shift from.
Result<int64_t> seek_offset(const SeekTarget& target, int64_t committed, int64_t log_start,
                            int64_t log_end, int64_t offset_for_timestamp);

int run_group_list(const CommandContext& ctx);
int run_group_describe(const CommandContext& ctx);
int run_group_seek(const CommandContext& ctx);
int run_group_delete(const CommandContext& ctx);
int run_group_offset_delete(const CommandContext& ctx);

}  // namespace ferry::cli
