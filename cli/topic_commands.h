// `ferry topic ...`: create, list, describe, delete, alter-config, add-partitions.
//
// Each subcommand has a pure option parser (usage errors, exit 2; unit-tested) and a runner
// that talks to the cluster (kafka/admin.h) and prints a table or JSON. Runners report each
// failed topic on stderr (report.h) and return 1 if any failed.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cli/command_context.h"
#include "cli/kafka/admin.h"

namespace ferry::cli {

struct TopicCreateOptions {
  std::vector<NewTopic> topics;
  bool dry_run = false;
};
Result<TopicCreateOptions> parse_topic_create(const Invocation& inv);

struct TopicListOptions {
  bool internal = false;
};
Result<TopicListOptions> parse_topic_list(const Invocation& inv);

struct AlterConfigOptions {
  std::vector<std::string> topics;
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::string> remove;
  bool dry_run = false;
};
Result<AlterConfigOptions> parse_alter_config(const Invocation& inv);

// The full set of dynamic configs to send with (non-incremental) AlterConfigs: the topic's
// current DYNAMIC_TOPIC_CONFIG entries, minus `remove`, plus `set` (which overrides). Sorted
// by key. Errors (_INVALID_ARG): a current dynamic entry is sensitive, so its value is unknown
// and sending the set would erase it.
Result<std::vector<std::pair<std::string, std::string>>> merge_dynamic_configs(
    const std::vector<ConfigEntry>& current, const AlterConfigOptions& options);

struct AddPartitionsOptions {
  std::vector<std::string> topics;
  int32_t add = 0;  // partitions to add to each topic (not the new total)
  bool dry_run = false;
};
Result<AddPartitionsOptions> parse_add_partitions(const Invocation& inv);

int run_topic_create(const CommandContext& ctx);
int run_topic_list(const CommandContext& ctx);
int run_topic_describe(const CommandContext& ctx);
int run_topic_delete(const CommandContext& ctx);
int run_topic_alter_config(const CommandContext& ctx);
int run_topic_add_partitions(const CommandContext& ctx);

}  // namespace ferry::cli
